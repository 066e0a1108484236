"""How rows are split: the held-out test split and the folds inside the train split.

Three strategies (``training.validation.split``, a recipe's ``validation`` section
overriding it): ``random`` keeps the classes balanced (uplift: the treatment x
outcome cells); ``temporal`` holds out the latest rows by ``event_timestamp`` and
chains the folds forward, each validating on rows later than all its training rows;
``group`` never puts one value of ``group_col`` on both sides. A fold's or the test
split's rows are never seen by the fit they score.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    GroupKFold,
    GroupShuffleSplit,
    KFold,
    StratifiedKFold,
    train_test_split,
)

from mmp_kedro.config.training import (
    CalibrationParams,
    TrainingParams,
    ValidationParams,
)
from mmp_kedro.modeling.estimator import treatment_indicator
from mmp_kedro.recipe.schema import Recipe
from mmp_kedro.spine.frames import EVENT_TIMESTAMP

#: The strategy of code that names none (the conf default of every env).
RANDOM_SPLIT = ValidationParams(
    split="random",
    group_col=None,
    calibration=CalibrationParams(method="none", ratio=0.2),
)

Folds = list[tuple[np.ndarray, np.ndarray]]


class SplitError(ValueError):
    """The rows cannot be split as the strategy asks (too few timestamps or groups)."""


def validation_strategy(recipe: Recipe, training: TrainingParams) -> ValidationParams:
    """The env's ``training.validation`` with the recipe's ``validation`` over it."""
    return training.validation.overridden_by(recipe.validation.overrides)


def stratification_key(frame: pd.DataFrame, recipe: Recipe) -> np.ndarray | None:
    """What splits keep balanced: the class, or treatment x outcome for uplift."""
    data = recipe.data_interface
    if data.task_type == "classification":
        return frame[data.target_col].astype(str).to_numpy()
    if data.task_type == "causal":
        treated = treatment_indicator(frame[data.treatment_col], data.treatment_value)
        outcome = frame[data.target_col]
        if outcome.nunique() <= 10:
            return np.char.add(treated.astype(str), outcome.astype(str).to_numpy())
        return treated.astype(str)
    return None


def split_method(recipe: Recipe, validation: ValidationParams = RANDOM_SPLIT) -> str:
    """How train/test and CV splits are drawn, for ``training_methodology``."""
    if validation.split == "temporal":
        return f"temporal: the latest rows by {EVENT_TIMESTAMP}, folds forward-chaining"
    if validation.split == "group":
        return f"group: no {validation.group_col} in two splits"
    return {
        "classification": "stratified by target",
        "causal": "stratified by treatment x outcome",
    }.get(recipe.data_interface.task_type, "random")


def holdout_split(
    frame: pd.DataFrame,
    recipe: Recipe,
    test_ratio: float,
    random_state: int,
    validation: ValidationParams = RANDOM_SPLIT,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test rows; the test rows are never seen by tuning or fitting.

    Raises:
        SplitError: a temporal split with one timestamp, a group split with one group.
    """
    if validation.split == "temporal":
        times = frame[EVENT_TIMESTAMP]
        # Rows tied with the first test timestamp go to the test side with it.
        first_test_time = times.sort_values().iloc[
            min(len(frame) - 1, int(round(len(frame) * (1 - test_ratio))))
        ]
        is_test = (times >= first_test_time).to_numpy()
        if is_test.all():
            raise SplitError(
                f"split 'temporal' needs rows before the latest {test_ratio:.0%}, but "
                f"every row's {EVENT_TIMESTAMP} is {first_test_time} or later: widen "
                "the loader SQL's window"
            )
        train_index, test_index = np.flatnonzero(~is_test), np.flatnonzero(is_test)
    elif validation.split == "group":
        groups = _groups(frame, validation)
        if groups.nunique() < 2:
            raise SplitError(
                f"split 'group' needs at least 2 values of {validation.group_col} "
                f"for a test split, got {groups.nunique()}"
            )
        splitter = GroupShuffleSplit(
            n_splits=1, test_size=test_ratio, random_state=random_state
        )
        train_index, test_index = next(splitter.split(frame, groups=groups))
    else:
        train_index, test_index = train_test_split(
            np.arange(len(frame)),
            test_size=test_ratio,
            random_state=random_state,
            stratify=stratification_key(frame, recipe),
        )
    return _rows(frame, train_index), _rows(frame, test_index)


def cv_folds(
    frame: pd.DataFrame,
    recipe: Recipe,
    n_folds: int,
    random_state: int,
    validation: ValidationParams = RANDOM_SPLIT,
) -> Folds:
    """(train index, validation index) pairs within the training rows.

    Raises:
        SplitError: too few distinct timestamps or groups for ``n_folds`` folds.
    """
    if validation.split == "temporal":
        return _forward_chaining_folds(frame[EVENT_TIMESTAMP], n_folds)
    if validation.split == "group":
        groups = _groups(frame, validation)
        if groups.nunique() < n_folds:
            raise SplitError(
                f"split 'group' needs at least {n_folds} values of "
                f"{validation.group_col} in the train split for {n_folds} folds "
                f"(training.cv_folds), got {groups.nunique()}"
            )
        splitter = GroupKFold(n_splits=n_folds, shuffle=True, random_state=random_state)
        return list(splitter.split(frame, groups=groups))
    key = stratification_key(frame, recipe)
    if key is not None and pd.Series(key).value_counts().min() >= n_folds:
        splitter = StratifiedKFold(
            n_splits=n_folds, shuffle=True, random_state=random_state
        )
        return list(splitter.split(frame, key))
    return list(
        KFold(n_splits=n_folds, shuffle=True, random_state=random_state).split(frame)
    )


def describe_splits(
    train: pd.DataFrame,
    test: pd.DataFrame,
    folds: Folds,
    validation: ValidationParams,
) -> dict[str, Any]:
    """Each split's extent on the strategy's column: its time range (temporal) or
    its number of groups (group); just the row counts for random."""
    column = {"temporal": EVENT_TIMESTAMP, "group": validation.group_col}.get(
        validation.split
    )

    def extent(rows: pd.DataFrame) -> dict[str, Any]:
        described: dict[str, Any] = {"rows": len(rows)}
        if validation.split == "temporal":
            times = rows[EVENT_TIMESTAMP]
            described |= {"from": str(times.min()), "to": str(times.max())}
        elif validation.split == "group":
            described["groups"] = int(rows[column].nunique())
        return described

    return {
        "strategy": validation.split,
        "column": column,
        "train": extent(train),
        "test": extent(test),
        "folds": [
            {
                "train": extent(train.iloc[fit]),
                "validation": extent(train.iloc[valid]),
            }
            for fit, valid in folds
        ],
    }


def _forward_chaining_folds(times: pd.Series, n_folds: int) -> Folds:
    """Fold k trains on rows before its start time and validates on the rows from
    there to the next fold's start: the rows in time order cut into n_folds + 1
    blocks, with tied timestamps kept in one block."""
    ordered = np.sort(times.to_numpy())
    starts = [ordered[len(ordered) * k // (n_folds + 1)] for k in range(1, n_folds + 1)]
    if len(set(starts)) < n_folds or starts[0] == ordered[0]:
        raise SplitError(
            f"split 'temporal' needs more distinct {EVENT_TIMESTAMP} values in the "
            f"train split for {n_folds} forward-chaining folds (training.cv_folds), "
            f"got {times.nunique()}: widen the loader SQL's window or lower cv_folds"
        )
    values = times.to_numpy()
    folds: Folds = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < n_folds else None
        in_validation = values >= start
        if end is not None:
            in_validation &= values < end
        folds.append((np.flatnonzero(values < start), np.flatnonzero(in_validation)))
    return folds


def _groups(frame: pd.DataFrame, validation: ValidationParams) -> pd.Series:
    column = validation.group_col
    if column not in frame.columns:
        raise SplitError(
            f"validation.group_col '{column}' is not a column of the training rows "
            f"(its columns: {list(frame.columns)})"
        )
    return frame[column]


def _rows(frame: pd.DataFrame, index: np.ndarray) -> pd.DataFrame:
    """The rows at ``index``, in their original order, renumbered from 0."""
    return frame.iloc[np.sort(index)].reset_index(drop=True)
