"""One leakage-safe fit and its score.

Every fit, tuning trial or final refit, goes through :func:`fit_pipeline`: a fresh
preprocessor is fitted on the rows the model is fitted on and only *transforms* the
rows it is scored on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator

from mmp_kedro.modeling.estimator import (
    Labels,
    TrainedModel,
    fit_model,
    treatment_indicator,
)
from mmp_kedro.modeling.metrics import evaluate
from mmp_kedro.modeling.preprocessing import build_preprocessor
from mmp_kedro.recipe.schema import Recipe


def split_labels(frame: pd.DataFrame, recipe: Recipe) -> tuple[pd.DataFrame, Labels]:
    """Feature columns (label columns removed) and the labels of ``frame``."""
    data = recipe.data_interface
    labels = Labels(
        target=frame[data.target_col].reset_index(drop=True)
        if data.target_col
        else None,
        treatment=(
            treatment_indicator(frame[data.treatment_col], data.treatment_value)
            if data.treatment_col
            else None
        ),
    )
    features = frame.drop(columns=data.label_columns).reset_index(drop=True)
    return features, labels


@dataclass
class FittedPipeline:
    """A preprocessor and the model fitted after it, on the same rows."""

    preprocessor: BaseEstimator
    model: TrainedModel


def fit_pipeline(
    rows: pd.DataFrame, recipe: Recipe, hyperparameters: dict[str, Any]
) -> FittedPipeline:
    """Fit a fresh preprocessor and model on ``rows`` only."""
    features, labels = split_labels(rows, recipe)
    preprocessor = build_preprocessor(
        recipe.preprocessor.name, recipe.preprocessor.params.model_dump()
    ).fit(features)
    model = fit_model(
        recipe.model.class_path,
        hyperparameters,
        recipe.data_interface.task_type,
        preprocessor.transform(features),
        labels,
    )
    return FittedPipeline(preprocessor=preprocessor, model=model)


def model_inputs(
    fitted: FittedPipeline, rows: pd.DataFrame, recipe: Recipe
) -> tuple[pd.DataFrame, Labels]:
    """``rows`` as the model sees them (transformed, never refitted) and their labels."""
    features, labels = split_labels(rows, recipe)
    return fitted.preprocessor.transform(features), labels


def score_pipeline(
    fitted: FittedPipeline,
    rows: pd.DataFrame,
    recipe: Recipe,
    with_baselines: bool = True,
) -> dict[str, float]:
    """Metrics of ``fitted`` on ``rows`` (transformed, never refitted)."""
    features, labels = model_inputs(fitted, rows, recipe)
    return evaluate(fitted.model, features, labels, with_baselines)
