"""Labels a model cannot learn from are refused before any fit, naming the column."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from mmp_kedro.modeling.training_data import (
    TrainingDataError,
    check_features,
    check_labels,
    check_spine_sample,
    check_split_sizes,
    duplicate_rows,
)
from mmp_kedro.recipe.schema import Recipe

SOURCE = "recipes/x.yaml"


def recipe(task: str, **data: Any) -> Recipe:
    models = {
        "classification": "sklearn.linear_model.LogisticRegression",
        "regression": "sklearn.linear_model.LinearRegression",
        "causal": "causalml.inference.meta.BaseTRegressor",
    }
    return Recipe.model_validate(
        {
            "model": {"class_path": models[task]},
            "loader": {"source_uri": "recipes/sql/loaders/x.sql"},
            "data_interface": {"task_type": task, "target_col": "y", **data},
        }
    )


def frame(y: list, **columns: list) -> pd.DataFrame:
    return pd.DataFrame(
        {"user_id": [f"u{i}" for i in range(len(y))], "y": y, **columns}
    )


UPLIFT = {"treatment_col": "grp", "treatment_value": "treatment"}


@pytest.mark.parametrize(
    ("task", "y", "expected"),
    [
        ("classification", [1, 1, 1], "has one value (1) in all 3 rows"),
        ("regression", [2.5, 2.5], "has one value (2.5) in all 2 rows"),
        ("regression", ["a", "b"], "is object, not numeric"),
        ("regression", [1.0, np.nan, 2.0], "is missing in 1 of 3 rows"),
        ("regression", [1.0, np.inf, 2.0], "has infinite values"),
    ],
)
def test_an_unlearnable_target_is_refused_naming_the_column(task, y, expected):
    with pytest.raises(TrainingDataError) as raised:
        check_labels(frame(y), recipe(task), SOURCE)
    message = str(raised.value)
    assert message.startswith(f"{SOURCE}: data_interface.target_col 'y' ")
    assert expected in message


def test_a_constant_uplift_outcome_is_refused():
    rows = frame([0, 0, 0, 0], grp=["treatment", "control"] * 2)
    with pytest.raises(TrainingDataError, match=r"target_col 'y' has one value \(0\)"):
        check_labels(rows, recipe("causal", **UPLIFT), SOURCE)


def test_a_third_treatment_value_is_refused_unless_named_as_control():
    rows = frame([0, 1, 0, 1, 1, 0], grp=["treatment", "control", "placebo"] * 2)
    with pytest.raises(TrainingDataError) as raised:
        check_labels(rows, recipe("causal", **UPLIFT), SOURCE)
    message = str(raised.value)
    assert "treatment_col 'grp' has 2 values besides the treatment value" in message
    assert "['control', 'placebo']" in message and "control_value" in message
    named = recipe("causal", **UPLIFT, control_value=["control", "placebo"])
    check_labels(rows, named, SOURCE)


def test_a_value_outside_treatment_and_control_is_refused():
    rows = frame([0, 1, 0, 1, 1, 0], grp=["treatment", "control", "placebo"] * 2)
    with pytest.raises(
        TrainingDataError, match=r"values \['placebo'\] that are neither"
    ):
        check_labels(rows, recipe("causal", **UPLIFT, control_value="control"), SOURCE)


def test_a_treatment_value_that_matches_no_row_is_refused():
    rows = frame([0, 1], grp=["control", "control"])
    with pytest.raises(
        TrainingDataError, match=r"no row with treatment_value 'treatment'"
    ):
        check_labels(rows, recipe("causal", **UPLIFT), SOURCE)


def test_learnable_labels_pass():
    check_labels(frame([0, 1, 0]), recipe("classification"), SOURCE)
    rows = frame([0.0, 1.5, 0.2, 3.0], grp=["treatment", "control"] * 2)
    check_labels(rows, recipe("causal", **UPLIFT), SOURCE)


def test_duplicate_rows_are_counted_on_keys_and_timestamp_not_labels():
    stamp = pd.Timestamp("2025-03-01")
    rows = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u2", "u1"],
            "event_timestamp": [stamp, stamp, stamp, stamp + pd.Timedelta(1, "s")],
            "y": [0, 1, 0, 0],  # a label differing does not make a row distinct
        }
    )
    assert duplicate_rows(rows, recipe("classification")) == (
        1,
        {"user_id": "u1", "event_timestamp": "2025-03-01T00:00:00"},
    )
    assert duplicate_rows(rows.iloc[1:], recipe("classification")) == (0, {})


def test_a_class_with_one_row_is_refused_naming_it():
    labels = [0] * 10 + [1]
    with pytest.raises(TrainingDataError) as raised:
        check_split_sizes(frame(labels), recipe("classification"), 0.25, 3, SOURCE)
    assert str(raised.value).startswith(
        f"{SOURCE}: the class of 'y' '1' has 1 row of 11; the test split and the "
        "folds are stratified"
    )


def test_too_few_rows_for_the_folds_name_both_settings():
    with pytest.raises(TrainingDataError) as raised:
        check_split_sizes(frame([1.0, 2.0, 3.0]), recipe("regression"), 0.25, 3, SOURCE)
    message = str(raised.value)
    assert "the spine has 3 rows, too few for a 25% test split and 3 folds" in message
    assert "training.test_ratio, training.cv_folds" in message


def test_enough_rows_pass():
    labels = [0, 1] * 10
    check_split_sizes(frame(labels), recipe("classification"), 0.25, 3, SOURCE)
    check_split_sizes(
        frame([float(v) for v in range(8)]), recipe("regression"), 0.25, 0, SOURCE
    )


def test_infinite_feature_values_are_refused_naming_the_columns():
    data = frame(
        [0, 1, 0, 1],
        ltv=[1.0, np.inf, 2.0, -np.inf],
        age=[30, 40, None, 50],
        country=["kr", "us", "kr", "us"],
    )
    with pytest.raises(TrainingDataError) as raised:
        check_features(data, recipe("classification"), SOURCE)
    assert str(raised.value).startswith(
        f"{SOURCE}: infinite values in the feature column(s) 'ltv' (2 rows):"
    )


def test_missing_feature_values_are_left_to_the_preprocessor():
    data = frame([0, 1], ltv=[1.0, None], age=pd.array([30, None], dtype="Int64"))
    check_features(data, recipe("classification"), SOURCE)


def _sample(**columns: list) -> pd.DataFrame:
    stamps = pd.to_datetime(["2025-01-01", "2025-01-02"])
    return pd.DataFrame({"user_id": ["u1", "u2"], "event_timestamp": stamps, **columns})


@pytest.mark.parametrize(
    ("spine", "expected"),
    [
        (_sample(), "target_col 'y' is not a column of what the loader SQL returned"),
        (_sample(y=["1.5", "2"]), "target_col 'y' is object, expected a number"),
        (
            _sample(y=[1.0, 2.0]).drop(columns="user_id"),
            "join key(s) ['user_id'] are not columns",
        ),
        (_sample(y=[1.0, 2.0], age=[30, 40]), "returns ['age'], which augmenter"),
        (
            _sample(y=[1.0, 2.0]).assign(event_timestamp=["a", "b"]),
            "event_timestamp is object, expected a timestamp column",
        ),
    ],
)
def test_a_spine_sample_without_what_the_run_needs_is_refused(spine, expected):
    spec = recipe("regression").model_copy(
        update={
            "augmenter": Recipe.model_fields["augmenter"].annotation.model_validate(
                {
                    "type": "feature_store",
                    "features": [{"feature_namespace": "users", "features": ["age"]}],
                }
            )
        }
    )
    with pytest.raises(TrainingDataError) as raised:
        check_spine_sample(spine, spec, ("user_id",), SOURCE)
    assert expected in str(raised.value)
    assert str(raised.value).startswith(SOURCE)


def test_a_spine_sample_with_what_the_run_needs_passes():
    check_spine_sample(
        _sample(y=[1.0, 2.0]), recipe("regression"), ("user_id",), SOURCE
    )
