"""``split_train_test`` refuses labels no model can learn from, before any tuning."""

from __future__ import annotations

import pandas as pd
import pytest
from project_helpers import PROJECT_ROOT

from mmp_kedro.config.training import TrainingParams
from mmp_kedro.modeling.splits import RANDOM_SPLIT
from mmp_kedro.modeling.training_data import TrainingDataError
from mmp_kedro.pipelines.tune.nodes import split_train_test
from mmp_kedro.recipe import load_recipe

TRAINING = TrainingParams(
    test_ratio=0.25, cv_folds=3, random_state=0, validation=RANDOM_SPLIT
)


def test_a_constant_outcome_is_refused_naming_the_column():
    recipe = load_recipe("uplift_model_exp3", PROJECT_ROOT / "recipes")
    rows = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(8)],
            "grp": ["treatment", "control"] * 4,
            "outcome": [0] * 8,
        }
    )
    with pytest.raises(TrainingDataError) as raised:
        split_train_test(rows, recipe, TRAINING)
    assert "recipes/uplift_model_exp3.yaml: data_interface.target_col 'outcome'" in (
        str(raised.value)
    )


def test_an_env_temporal_split_with_too_few_timestamps_is_refused_before_tuning():
    recipe = load_recipe("uplift_model_exp3", PROJECT_ROOT / "recipes")
    temporal = TRAINING.model_copy(
        update={"validation": RANDOM_SPLIT.model_copy(update={"split": "temporal"})}
    )
    rows = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(40)],
            "event_timestamp": pd.to_datetime(["2025-06-01", "2025-06-02"] * 20),
            "grp": ["treatment", "control"] * 20,
            "outcome": [0, 0, 1, 1] * 10,
        }
    )
    with pytest.raises(TrainingDataError) as raised:
        split_train_test(rows, recipe, temporal)
    message = str(raised.value)
    assert message.startswith("recipes/uplift_model_exp3.yaml: split 'temporal'")
    assert "training.cv_folds" in message
