"""Predict nodes: the fitted preprocessor and model applied to the augmented spine.

With ``augment_features`` before them, these are the inference pipeline the artifact
runs (``KedroPipelineModel``), for batch inference and serving alike.
"""

from __future__ import annotations

import pandas as pd
from sklearn.base import BaseEstimator

from mmp_kedro.modeling.estimator import TrainedModel
from mmp_kedro.spine import positional_index


def transform_features(
    augmented: pd.DataFrame, preprocessor: BaseEstimator
) -> pd.DataFrame:
    """Model inputs: the train-only-fitted preprocessor applied, never refitted."""
    return preprocessor.transform(augmented)


def predict(
    spine: pd.DataFrame,
    augmented: pd.DataFrame,
    model_features: pd.DataFrame,
    model: TrainedModel,
    return_intermediate: bool,
) -> pd.DataFrame:
    """The spine's rows with the task's prediction columns.

    With ``return_intermediate`` the joined features are included too, so a batch
    run can store what each prediction was made from.

    Raises:
        ValueError: the spine or a feature already has a column of a prediction's
            name, which the prediction would silently replace.
    """
    base = positional_index(augmented if return_intermediate else spine)
    predictions = model.predict_columns(model_features)
    clashing = [name for name in predictions if name in base.columns]
    if clashing:
        raise ValueError(
            f"the spine or its features already have the column(s) {clashing}, where "
            "the predictions go: rename them in the recipe's loader SQL or feature list"
        )
    # The arrays follow model_features' row order, which is augmented's and so the
    # spine's.
    return pd.DataFrame(
        {**dict(base.items()), **predictions}, index=base.index, copy=False
    )
