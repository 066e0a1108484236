"""Rows a model cannot learn from, refused before any fit: each error names the
column, what was found and the fix."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mmp_kedro.modeling.splits import stratification_key
from mmp_kedro.recipe.schema import Recipe


class TrainingDataError(ValueError):
    """The spine or its labels cannot train the recipe's model."""


def check_labels(frame: pd.DataFrame, recipe: Recipe, source: str) -> None:
    """The target varies and has no missing or infinite value; an uplift treatment
    column holds the treatment value and one control value (or the named ones).

    Raises:
        TrainingDataError: naming ``source`` (the recipe file), the column and why.
    """
    data = recipe.data_interface
    if data.target_col:
        _check_target(frame[data.target_col], data.target_col, data.task_type, source)
    if data.treatment_col:
        _check_treatment(frame[data.treatment_col], recipe, source)


def check_spine_sample(
    spine: pd.DataFrame, recipe: Recipe, join_keys: tuple[str, ...], source: str
) -> None:
    """What the loader SQL returned has the columns and types the run needs: a
    datetime ``event_timestamp``, the label columns (a numeric target for regression
    and uplift), every feature view's join key, and no column named like a feature
    the augmenter adds.

    Raises:
        TrainingDataError: naming ``source``, the column, what was found and expected.
    """
    columns = set(spine.columns)
    stamps = spine.get("event_timestamp")
    if stamps is None or not pd.api.types.is_datetime64_any_dtype(stamps):
        found = "missing" if stamps is None else f"{stamps.dtype}"
        raise TrainingDataError(
            f"{source}: event_timestamp is {found}, expected a timestamp column "
            "(CAST(... AS TIMESTAMP) in the loader SQL)"
        )
    data = recipe.data_interface
    for role, column in (
        ("target_col", data.target_col),
        ("treatment_col", data.treatment_col),
    ):
        if column and column not in columns:
            raise TrainingDataError(
                f"{source}: data_interface.{role} '{column}' is not a column of what "
                f"the loader SQL returned; it returned {sorted(columns)}"
            )
    if data.target_col and data.task_type in ("regression", "causal"):
        target = spine[data.target_col]
        if not _is_number(target):
            raise TrainingDataError(
                f"{source}: data_interface.target_col '{data.target_col}' is "
                f"{target.dtype}, expected a number for a {data.task_type} model; "
                "cast it in the loader SQL"
            )
    missing_keys = [key for key in join_keys if key not in columns]
    if missing_keys:
        raise TrainingDataError(
            f"{source}: the feature views' join key(s) {missing_keys} are not columns "
            f"of what the loader SQL returned ({sorted(columns)}): select them, or "
            "drop the augmenter.features that need them"
        )
    clashing = sorted(columns & set(recipe.augmenter.feature_names))
    if clashing:
        raise TrainingDataError(
            f"{source}: the loader SQL returns {clashing}, which augmenter.features "
            "also adds: rename the column in the SQL or drop the feature"
        )


def check_features(frame: pd.DataFrame, recipe: Recipe, source: str) -> None:
    """No infinite value in a numeric column the model learns from (a missing one
    is imputed by the preprocessor; an infinite one would poison its scaling).

    Raises:
        TrainingDataError: naming each such column and how many rows hold one.
    """
    labels = set(recipe.data_interface.label_columns)
    numeric = frame.select_dtypes("number").drop(columns=labels, errors="ignore")
    infinite = np.isinf(numeric.to_numpy(dtype=float, na_value=np.nan)).sum(axis=0)
    bad = {c: int(n) for c, n in zip(numeric.columns, infinite, strict=True) if n}
    if bad:
        listed = ", ".join(f"'{c}' ({n} rows)" for c, n in bad.items())
        raise TrainingDataError(
            f"{source}: infinite values in the feature column(s) {listed}: filter or "
            "cap them in the loader SQL or the feature table they come from"
        )


def check_split_sizes(
    frame: pd.DataFrame,
    recipe: Recipe,
    test_ratio: float,
    cv_folds: int,
    source: str,
    stratified: bool = True,
) -> None:
    """Enough rows for a test split and ``cv_folds`` folds, and, where splits are
    ``stratified``, at least two rows of every class (or treatment x outcome cell).

    Raises:
        TrainingDataError: naming the counts, the smallest group and the settings.
    """
    rows = len(frame)
    needed = max(cv_folds + 1, 2)
    n_test = int(np.ceil(rows * test_ratio))
    if rows < needed or rows - n_test < cv_folds:
        raise TrainingDataError(
            f"{source}: the spine has {rows} rows, too few for a {test_ratio:.0%} test "
            f"split and {cv_folds} folds (training.test_ratio, training.cv_folds): "
            "widen the loader SQL's window or lower training.cv_folds"
        )
    key = stratification_key(frame, recipe) if stratified else None
    if key is None:
        return
    counts = pd.Series(key).value_counts()
    if counts.min() < 2:
        what = (
            "treatment x outcome cell"
            if recipe.data_interface.task_type == "causal"
            else f"class of '{recipe.data_interface.target_col}'"
        )
        raise TrainingDataError(
            f"{source}: the {what} {counts.idxmin()!r} has {int(counts.min())} row of "
            f"{rows}; the test split and the folds are stratified and need at least 2 "
            "rows of each: widen the loader SQL's window or merge rare classes"
        )


def duplicate_rows(spine: pd.DataFrame, recipe: Recipe) -> tuple[int, dict[str, Any]]:
    """How many rows repeat another row's entity keys and ``event_timestamp``, and
    the first such row (its keys); ``(0, {})`` when none does."""
    keys = [c for c in spine.columns if c not in recipe.data_interface.label_columns]
    repeated = spine.duplicated(subset=keys, keep="first")
    count = int(repeated.sum())
    if not count:
        return 0, {}
    return count, {k: _plain(v) for k, v in spine.loc[repeated, keys].iloc[0].items()}


def _check_target(target: pd.Series, column: str, task: str, source: str) -> None:
    where = f"{source}: data_interface.target_col '{column}'"
    missing = int(target.isna().sum())
    if missing:
        raise TrainingDataError(
            f"{where} is missing in {missing} of {len(target)} rows: filter them out "
            "in the loader SQL or fill them there"
        )
    numeric = _is_number(target)
    if task in ("regression", "causal") and not numeric:
        raise TrainingDataError(
            f"{where} is {target.dtype}, not numeric: a {task} model learns a number; "
            "cast it in the loader SQL"
        )
    if numeric and not np.isfinite(target.to_numpy(dtype=float)).all():
        raise TrainingDataError(
            f"{where} has infinite values: filter them out in the loader SQL"
        )
    if target.nunique() < 2:
        raise TrainingDataError(
            f"{where} has one value ({_plain(target.iloc[0])!r}) in all "
            f"{len(target)} rows: there is nothing to learn; check the loader SQL's "
            "window and filters"
        )


def _check_treatment(values: pd.Series, recipe: Recipe, source: str) -> None:
    data = recipe.data_interface
    where = f"{source}: data_interface.treatment_col '{data.treatment_col}'"
    found = sorted(values.dropna().astype(str).unique())
    treatment = str(data.treatment_value)
    if treatment not in found:
        raise TrainingDataError(
            f"{where} has no row with treatment_value {data.treatment_value!r}; its "
            f"values are {found}"
        )
    others = [value for value in found if value != treatment]
    controls = {str(value) for value in data.control_values}
    if controls:
        unknown = [value for value in others if value not in controls]
        if unknown:
            raise TrainingDataError(
                f"{where} has values {unknown} that are neither treatment_value "
                f"{data.treatment_value!r} nor control_value {data.control_value!r}: "
                "name them in control_value or filter them out in the loader SQL"
            )
        if not others:
            raise TrainingDataError(
                f"{where} has no control rows ({sorted(controls)}): an uplift model "
                "compares treated rows with control rows"
            )
        return
    if len(others) != 1:
        problem = (
            "no control rows"
            if not others
            else f"{len(others)} values besides the treatment value: {others}"
        )
        raise TrainingDataError(
            f"{where} has {problem}. An uplift model compares treated rows with one "
            "control group: name the control value(s) in data_interface.control_value"
            " or filter the others out in the loader SQL"
        )


def _is_number(values: pd.Series) -> bool:
    """Numeric and not boolean: what a regression or uplift target must be."""
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(
        values
    )


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value.item() if isinstance(value, np.generic) else value
