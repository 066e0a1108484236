"""Package nodes: the inference steps the artifact runs, and what the run records.

The inference pipeline (augment -> transform -> predict) is what
kedro-mlflow logs as a ``KedroPipelineModel``; the snapshot and metadata nodes
write the rest of the wrapped-artifact contract into the same MLflow run.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import yaml
from sklearn.base import BaseEstimator

import mmp_kedro
from mmp_kedro.modeling.estimator import PREDICTION_COLUMNS, TrainedModel
from mmp_kedro.modeling.training import split_method
from mmp_kedro.pipelines.spine.nodes import positional_index
from mmp_kedro.recipe import ResolvedRecipe


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
    # One frame from columns: a concat of two frames costs more than the model
    # call on a one-row request. The arrays follow model_features' row order, which
    # is augmented's and so the spine's.
    return pd.DataFrame(
        {**dict(base.items()), **predictions}, index=base.index, copy=False
    )


def snapshot_recipe(
    recipe: ResolvedRecipe, augmenter_config: dict[str, Any]
) -> tuple[str, str, str]:
    """Loader SQL, augmenter config and recipe YAML, frozen as they were trained."""
    return (
        recipe.loader_sql,
        yaml.safe_dump(augmenter_config, sort_keys=False),
        recipe.yaml_text,
    )


def describe_training(
    recipe: ResolvedRecipe,
    training: dict[str, Any],
    hyperparameter_optimization: dict[str, Any],
) -> dict[str, Any]:
    """``training_methodology``: how rows were split and what each fit saw."""
    tuned = bool(hyperparameter_optimization.get("enabled"))
    folds = hyperparameter_optimization.get("cv_folds", training.get("cv_folds"))
    return {
        "train_test_split_method": split_method(recipe.spec),
        "train_ratio": round(1.0 - float(training["test_ratio"]), 6),
        "test_ratio": float(training["test_ratio"]),
        "validation_strategy": (
            f"{folds}-fold cross-validation inside the train split, the same folds for "
            "every tuning trial (trials compete on the same rows; each fold's "
            "preprocessor and model are fitted on its training rows only); the test "
            "split is scored once, by the final model"
            if tuned
            else "no tuning: the final model is scored once on the test split"
        ),
        "random_state": int(training["random_state"]),
        "preprocessing_fit_scope": "train_only",
    }


def describe_model(
    recipe: ResolvedRecipe,
    spine: pd.DataFrame,
    augmented: pd.DataFrame,
    model: TrainedModel,
) -> dict[str, Any]:
    """``model_metadata``: class, version, timestamps and the input/output schemas."""
    task = recipe.spec.data_interface.task_type
    trained_at = datetime.now(UTC).isoformat(timespec="seconds")
    digest = hashlib.sha256(
        recipe.yaml_text.encode() + recipe.loader_sql.encode()
    ).hexdigest()
    return {
        "model_class_path": recipe.spec.model.class_path,
        "recipe_name": recipe.name,
        "task_type": task,
        "training_timestamp": trained_at,
        "model_version": f"{mmp_kedro.__version__}+recipe.{digest[:12]}",
        "feature_schema": _schema(
            augmented.drop(columns=recipe.spec.data_interface.label_columns)
        ),
        "model_input_features": list(model.feature_names),
        "spine_schema": _schema(spine),
        "target_schema": {
            "target_col": recipe.spec.data_interface.target_col,
            "target_dtype": (
                str(spine[recipe.spec.data_interface.target_col].dtype)
                if recipe.spec.data_interface.target_col
                else None
            ),
            "prediction_columns": PREDICTION_COLUMNS[task],
        },
    }


def _schema(frame: pd.DataFrame) -> dict[str, str]:
    return {column: str(dtype) for column, dtype in frame.dtypes.items()}
