"""Tune nodes: hold out a test split, search hyperparameters, refit, evaluate."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator

from mmp_kedro.config.training import TrainingParams, TuningParams
from mmp_kedro.modeling.estimator import TrainedModel
from mmp_kedro.modeling.fitting import (
    FittedPipeline,
    fit_pipeline,
    model_inputs,
    score_pipeline,
)
from mmp_kedro.modeling.metrics import CALIBRATION_METRICS
from mmp_kedro.modeling.search import run_search
from mmp_kedro.modeling.splits import (
    SplitError,
    cv_folds,
    holdout_split,
    validation_strategy,
)
from mmp_kedro.modeling.training_data import (
    TrainingDataError,
    check_features,
    check_labels,
    check_split_sizes,
)
from mmp_kedro.recipe import ResolvedRecipe

log = logging.getLogger(__name__)


def split_train_test(
    augmented: pd.DataFrame, recipe: ResolvedRecipe, training: TrainingParams
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train rows (tuning and the final fit) and test rows (the final score only),
    drawn as the recipe's ``validation`` (or the env's default) says.

    Raises:
        TrainingDataError: the labels cannot train the model (a constant or missing
            target, an uplift treatment column without one clear control group), an
            infinite feature value, too few rows (of a class) for the test split and
            the folds, or too few timestamps or groups for the split strategy.
    """
    check_labels(augmented, recipe.spec, recipe.path)
    check_features(augmented, recipe.spec, recipe.path)
    validation = validation_strategy(recipe.spec, training)
    folds = training.cv_folds if recipe.spec.hyperparameter_tuning.enabled else 0
    check_split_sizes(
        augmented,
        recipe.spec,
        training.test_ratio,
        folds,
        recipe.path,
        stratified=validation.split == "random",
    )
    try:
        train, test = holdout_split(
            augmented,
            recipe.spec,
            test_ratio=training.test_ratio,
            random_state=training.random_state,
            validation=validation,
        )
        if folds:  # refused here, before a search starts, rather than inside it
            cv_folds(train, recipe.spec, folds, training.random_state, validation)
    except SplitError as err:
        raise TrainingDataError(f"{recipe.path}: {err}") from None
    return train, test


def tune_hyperparameters(
    train_set: pd.DataFrame,
    recipe: ResolvedRecipe,
    training: TrainingParams,
    tuning: TuningParams,
    optuna_storage: str | None,
) -> dict[str, Any]:
    """The ``hyperparameter_optimization`` record: an Optuna search, or the fixed values.

    ``optuna_storage`` is the env's study storage (None: in memory).
    """
    spec = recipe.spec
    if not spec.hyperparameter_tuning.enabled:
        return {
            "enabled": False,
            "engine": None,
            "best_params": spec.model.fixed_hyperparameters,
            "metric": spec.tuning_metric,
            "total_trials": 0,
            "pruned_trials": 0,
            "fit_seconds_total": 0.0,
        }
    return run_search(train_set, spec, training, tuning, storage=optuna_storage)


def split_calibration_set(
    train_set: pd.DataFrame, recipe: ResolvedRecipe, training: TrainingParams
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows the final model is fitted on and the rows its calibrator is fitted
    on, both from the train split (as the split strategy draws a test split);
    without calibration, all train rows and none."""
    validation = validation_strategy(recipe.spec, training)
    if not calibrates(recipe, validation.calibration.method):
        return train_set, train_set.iloc[:0]
    try:
        return holdout_split(
            train_set,
            recipe.spec,
            test_ratio=validation.calibration.ratio,
            random_state=training.random_state,
            validation=validation,
        )
    except SplitError as err:
        raise TrainingDataError(f"{recipe.path}: calibration split: {err}") from None


def fit_final_model(
    fit_set: pd.DataFrame,
    recipe: ResolvedRecipe,
    hyperparameter_optimization: dict[str, Any],
) -> tuple[BaseEstimator, TrainedModel]:
    """Preprocessor and model refitted with the best hyperparameters on the train
    rows (less any calibration rows)."""
    fitted = fit_pipeline(
        fit_set, recipe.spec, hyperparameter_optimization["best_params"]
    )
    log.info(
        "final %s fitted on %d train rows in %.2fs",
        recipe.spec.model.class_name,
        len(fit_set),
        fitted.model.fit_seconds,
    )
    return fitted.preprocessor, fitted.model


def calibrate_model(
    fitted_model: TrainedModel,
    preprocessor: BaseEstimator,
    calibration_set: pd.DataFrame,
    recipe: ResolvedRecipe,
    training: TrainingParams,
) -> TrainedModel:
    """The final model with its probability calibrator, fitted on the calibration
    rows; the model unchanged when the recipe and env ask for no calibration."""
    method = validation_strategy(recipe.spec, training).calibration.method
    if not calibrates(recipe, method):
        return fitted_model
    features, labels = model_inputs(
        FittedPipeline(preprocessor, fitted_model), calibration_set, recipe.spec
    )
    log.info("%s calibration fitted on %d rows", method, len(calibration_set))
    return fitted_model.calibrated(features, labels.target, method)


def calibrates(recipe: ResolvedRecipe, method: str) -> bool:
    """Whether probabilities are calibrated: a classifier and a method not 'none'."""
    return recipe.spec.data_interface.task_type == "classification" and method != "none"


def evaluate_on_test(
    test_set: pd.DataFrame,
    recipe: ResolvedRecipe,
    preprocessor: BaseEstimator,
    model: TrainedModel,
    hyperparameter_optimization: dict[str, Any],
) -> dict[str, dict[str, float]]:
    """Test-split metrics (plus fit-time accounting) in kedro-mlflow's metrics format.

    A calibrated classifier's calibration metrics are also given as they were
    before calibration (``brier_score_before_calibration``...).
    """
    metrics = score_pipeline(FittedPipeline(preprocessor, model), test_set, recipe.spec)
    if model.calibrator is not None:
        before = score_pipeline(
            FittedPipeline(preprocessor, model.uncalibrated()), test_set, recipe.spec
        )
        for name in CALIBRATION_METRICS:
            if name in before:
                metrics[f"{name}_before_calibration"] = before[name]
    metrics["model_fit_seconds_total"] = (
        float(hyperparameter_optimization.get("fit_seconds_total", 0.0))
        + model.fit_seconds
    )
    if hyperparameter_optimization.get("enabled"):
        metrics["optuna_best_score"] = float(hyperparameter_optimization["best_score"])
    log.info("test metrics: %s", {k: round(v, 4) for k, v in metrics.items()})
    return {name: {"value": float(value), "step": 0} for name, value in metrics.items()}
