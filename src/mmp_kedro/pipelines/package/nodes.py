"""Package nodes: what a training run records beside the model.

The snapshots and metadata complete the wrapped-artifact contract
(:mod:`mmp_kedro.artifact.contract`) in the same MLflow run.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import yaml
from sklearn.base import BaseEstimator

import mmp_kedro
from mmp_kedro.config.training import TrainingParams
from mmp_kedro.modeling.estimator import TrainedModel
from mmp_kedro.modeling.fitting import FittedPipeline, model_inputs
from mmp_kedro.modeling.splits import (
    cv_folds,
    describe_splits,
    split_method,
    validation_strategy,
)
from mmp_kedro.monitoring.drift import (
    DriftThresholds,
    model_features,
    prediction_column,
    reference_profile,
)
from mmp_kedro.recipe import ResolvedRecipe
from mmp_kedro.recipe.schema import PREDICTION_COLUMNS


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
    training: TrainingParams,
    hyperparameter_optimization: dict[str, Any],
    train_set: pd.DataFrame,
    test_set: pd.DataFrame,
) -> dict[str, Any]:
    """``training_methodology``: how rows were split and what each fit saw, with
    each split's time range (temporal) or number of groups (group)."""
    tuned = bool(hyperparameter_optimization.get("enabled"))
    folds = hyperparameter_optimization.get("cv_folds", training.cv_folds)
    validation = validation_strategy(recipe.spec, training)
    fold_rows = (
        cv_folds(train_set, recipe.spec, folds, training.random_state, validation)
        if tuned
        else []
    )
    fold_scheme = (
        "forward-chaining folds (each validates on rows later than all its "
        "training rows)"
        if validation.split == "temporal"
        else f"{folds}-fold cross-validation"
    )
    return {
        "train_test_split_method": split_method(recipe.spec, validation),
        "train_ratio": round(1.0 - training.test_ratio, 6),
        "test_ratio": training.test_ratio,
        "validation_strategy": (
            f"{fold_scheme} inside the train split, the same folds for every "
            "tuning trial (trials compete on the same rows; each fold's "
            "preprocessor and model are fitted on its training rows only); the test "
            "split is scored once, by the final model"
            if tuned
            else "no tuning: the final model is scored once on the test split"
        ),
        "split": describe_splits(train_set, test_set, fold_rows, validation),
        "random_state": training.random_state,
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


def profile_training_window(
    augmented: pd.DataFrame,
    recipe: ResolvedRecipe,
    preprocessor: BaseEstimator,
    model: TrainedModel,
    drift_monitoring: DriftThresholds,
) -> dict[str, Any]:
    """``drift_reference``: the distributions of the training window's features and
    of the final model's predictions on it, which later windows are compared with."""
    features, _ = model_inputs(
        FittedPipeline(preprocessor, model), augmented, recipe.spec
    )
    predictions = model.predict_frame(features)
    column = prediction_column(predictions, model.task_type)
    return reference_profile(
        augmented[model_features(augmented, recipe.spec)],
        predictions[column],
        drift_monitoring.bins,
        drift_monitoring.max_categories,
    )
