"""``modeling.splits``: the random, temporal and group strategies, for the test split
and the tuning folds, on classification and uplift recipes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from mmp_kedro.config.training import TrainingParams
from mmp_kedro.modeling.splits import (
    RANDOM_SPLIT,
    SplitError,
    cv_folds,
    describe_splits,
    holdout_split,
    validation_strategy,
)
from mmp_kedro.recipe.schema import Recipe

TEMPORAL = RANDOM_SPLIT.model_copy(update={"split": "temporal"})
BY_USER = RANDOM_SPLIT.model_copy(update={"split": "group", "group_col": "user_id"})
N_FOLDS = 3

DATA_INTERFACES: dict[str, dict[str, Any]] = {
    "classification": {"task_type": "classification", "target_col": "label"},
    "causal": {
        "task_type": "causal",
        "target_col": "label",
        "treatment_col": "treated",
        "treatment_value": 1,
    },
}


def make_recipe(task: str, validation: dict[str, Any] | None = None) -> Recipe:
    return Recipe.model_validate(
        {
            "model": {"class_path": "sklearn.linear_model.LogisticRegression"},
            "loader": {"source_uri": "recipes/sql/loaders/synthetic.sql"},
            "data_interface": DATA_INTERFACES[task],
            "validation": validation or {},
        }
    )


def make_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Rows of 40 users over 60 days (several rows per user and per day), shuffled."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 60, size=n)
    return pd.DataFrame(
        {
            "row_id": np.arange(n),
            "user_id": rng.integers(0, 40, size=n),
            "event_timestamp": pd.Timestamp("2026-01-01")
            + pd.to_timedelta(days, unit="D")
            + pd.to_timedelta(rng.integers(0, 3, size=n), unit="h"),
            "spend": rng.lognormal(3.0, 1.0, size=n),
            "treated": rng.integers(0, 2, size=n),
            "label": rng.integers(0, 2, size=n),
        }
    )


@pytest.mark.parametrize("task", list(DATA_INTERFACES))
def test_temporal_test_rows_are_later_than_every_train_row(task):
    frame = make_frame()
    train, test = holdout_split(frame, make_recipe(task), 0.25, 0, TEMPORAL)
    assert train["event_timestamp"].max() < test["event_timestamp"].min()
    assert len(train) + len(test) == len(frame)
    assert 0.2 <= len(test) / len(frame) <= 0.3


@pytest.mark.parametrize("task", list(DATA_INTERFACES))
def test_temporal_folds_validate_on_rows_later_than_their_training_rows(task):
    train, _ = holdout_split(make_frame(), make_recipe(task), 0.25, 0, TEMPORAL)
    folds = cv_folds(train, make_recipe(task), N_FOLDS, 0, TEMPORAL)
    assert len(folds) == N_FOLDS
    times = train["event_timestamp"].to_numpy()
    for fit, valid in folds:
        assert len(fit) and len(valid)
        assert times[fit].max() < times[valid].min()
    # Forward-chaining: each fold trains on more of the past than the one before.
    sizes = [len(fit) for fit, _ in folds]
    assert sizes == sorted(sizes) and len(set(sizes)) == N_FOLDS


@pytest.mark.parametrize("task", list(DATA_INTERFACES))
def test_group_splits_share_no_user(task):
    frame = make_frame()
    recipe = make_recipe(task)
    train, test = holdout_split(frame, recipe, 0.25, 0, BY_USER)
    assert set(train["user_id"]).isdisjoint(test["user_id"])
    assert len(train) + len(test) == len(frame)
    users = train["user_id"].to_numpy()
    for fit, valid in cv_folds(train, recipe, N_FOLDS, 0, BY_USER):
        assert set(users[fit]).isdisjoint(users[valid])


@pytest.mark.parametrize("task", list(DATA_INTERFACES))
def test_a_random_split_shares_users_and_mixes_time(task):
    """What the strategies above prevent does happen without them."""
    train, test = holdout_split(make_frame(), make_recipe(task), 0.25, 0)
    assert set(train["user_id"]) & set(test["user_id"])
    assert train["event_timestamp"].max() > test["event_timestamp"].min()


def test_the_random_split_is_unchanged_by_the_strategies():
    frame, recipe = make_frame(), make_recipe("classification")
    default = holdout_split(frame, recipe, 0.25, 0)
    explicit = holdout_split(frame, recipe, 0.25, 0, RANDOM_SPLIT)
    pd.testing.assert_frame_equal(default[1], explicit[1])


def test_a_recipe_section_overrides_the_env_default():
    training = TrainingParams(
        test_ratio=0.2, cv_folds=3, random_state=0, validation=RANDOM_SPLIT
    )
    recipe = make_recipe("causal", {"split": "group", "group_col": "user_id"})
    assert validation_strategy(recipe, training) == BY_USER
    assert validation_strategy(make_recipe("causal"), training) == RANDOM_SPLIT


def test_a_recipe_group_split_without_a_column_is_refused():
    training = TrainingParams(
        test_ratio=0.2, cv_folds=3, random_state=0, validation=RANDOM_SPLIT
    )
    with pytest.raises(ValueError, match="split 'group' needs group_col"):
        validation_strategy(make_recipe("causal", {"split": "group"}), training)


def test_too_few_timestamps_for_the_folds_is_refused():
    frame = make_frame()
    frame["event_timestamp"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(
        frame["row_id"] % 2, unit="D"
    )
    with pytest.raises(SplitError, match="distinct event_timestamp values"):
        cv_folds(frame, make_recipe("classification"), N_FOLDS, 0, TEMPORAL)


def test_one_timestamp_cannot_be_split_in_time():
    frame = make_frame().assign(event_timestamp=pd.Timestamp("2026-01-01"))
    with pytest.raises(SplitError, match="needs rows before the latest 25%"):
        holdout_split(frame, make_recipe("classification"), 0.25, 0, TEMPORAL)


def test_too_few_users_for_the_folds_is_refused():
    frame = make_frame().assign(user_id=lambda f: f["row_id"] % 2)
    with pytest.raises(SplitError, match="at least 3 values of user_id"):
        cv_folds(frame, make_recipe("classification"), N_FOLDS, 0, BY_USER)


def test_the_description_gives_each_splits_time_range():
    recipe = make_recipe("classification")
    train, test = holdout_split(make_frame(), recipe, 0.25, 0, TEMPORAL)
    folds = cv_folds(train, recipe, N_FOLDS, 0, TEMPORAL)
    described = describe_splits(train, test, folds, TEMPORAL)
    assert described["strategy"] == "temporal"
    assert described["column"] == "event_timestamp"
    assert described["train"]["to"] < described["test"]["from"]
    assert described["test"]["rows"] == len(test)
    for fold in described["folds"]:
        assert fold["train"]["to"] < fold["validation"]["from"]


def test_the_description_counts_each_splits_groups():
    recipe = make_recipe("causal")
    train, test = holdout_split(make_frame(), recipe, 0.25, 0, BY_USER)
    described = describe_splits(train, test, [], BY_USER)
    assert described["column"] == "user_id"
    assert described["train"]["groups"] + described["test"]["groups"] == 40
