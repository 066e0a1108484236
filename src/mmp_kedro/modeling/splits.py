"""How rows are split: the held-out test split and the folds inside the train split.

Classification keeps the classes balanced, uplift the treatment x outcome cells; a
fold's or the test split's rows are never seen by the fit they score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from mmp_kedro.modeling.estimator import treatment_indicator
from mmp_kedro.recipe.schema import Recipe


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


def split_method(recipe: Recipe) -> str:
    """How train/test and CV splits are drawn, for ``training_methodology``."""
    return {
        "classification": "stratified by target",
        "causal": "stratified by treatment x outcome",
    }.get(recipe.data_interface.task_type, "random")


def holdout_split(
    frame: pd.DataFrame, recipe: Recipe, test_ratio: float, random_state: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test rows; the test rows are never seen by tuning or fitting."""
    train, test = train_test_split(
        frame,
        test_size=test_ratio,
        random_state=random_state,
        stratify=stratification_key(frame, recipe),
    )
    return train.sort_index().reset_index(drop=True), test.sort_index().reset_index(
        drop=True
    )


def cv_folds(
    frame: pd.DataFrame, recipe: Recipe, n_folds: int, random_state: int
) -> list:
    """(train index, validation index) pairs within the training rows."""
    key = stratification_key(frame, recipe)
    if key is not None and pd.Series(key).value_counts().min() >= n_folds:
        splitter = StratifiedKFold(
            n_splits=n_folds, shuffle=True, random_state=random_state
        )
        return list(splitter.split(frame, key))
    return list(
        KFold(n_splits=n_folds, shuffle=True, random_state=random_state).split(frame)
    )
