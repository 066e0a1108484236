"""Report nodes: the plots every training run logs to MLflow as ``plots/<name>.png``.

:func:`plot_tuning` and :func:`plot_evaluation` return figures keyed by plot name;
:func:`collect_plots` turns them into the one ``plots`` dataset (file name ->
figure) that the catalog writes as PNG files and logs to the run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.base import BaseEstimator

from mmp_kedro.modeling.estimator import Labels, TrainedModel
from mmp_kedro.modeling.fitting import FittedPipeline, model_inputs
from mmp_kedro.modeling.metrics import CALIBRATION_BINS
from mmp_kedro.recipe import ResolvedRecipe
from mmp_kedro.reporting import plots
from mmp_kedro.reporting.importances import feature_importances, param_importances

#: File extension of every plot; matches ``save_args.format`` of the catalog entry.
PLOT_FORMAT = "png"


def plot_tuning(hyperparameter_optimization: dict[str, Any]) -> dict[str, Figure]:
    """Optimisation history and hyperparameter importances of the Optuna search.

    Empty when tuning was disabled. ``param_importances`` needs at least two
    completed trials and a search space (fANOVA, fixed seed: deterministic).
    """
    record = hyperparameter_optimization
    if not record.get("enabled"):
        return {}
    history = pd.DataFrame(
        record.get("optimization_history") or [], columns=["number", "state", "value"]
    )
    direction = record.get("direction", "maximize")
    metric = record.get("metric", "objective")
    figures = {
        "optimization_history": plots.optimization_history(history, direction, metric)
    }
    importances = param_importances(record)
    if importances:
        figures["param_importances"] = plots.param_importances(importances, metric)
    return figures


def plot_evaluation(
    test_set: pd.DataFrame,
    recipe: ResolvedRecipe,
    preprocessor: BaseEstimator,
    model: TrainedModel,
) -> dict[str, Figure]:
    """The final model on the held-out test rows, drawn for its task.

    classification: ``roc_curve``, ``precision_recall_curve`` (when the model has
    ``predict_proba``), ``reliability_diagram`` (binary, before and after any
    calibration), ``confusion_matrix``; regression: ``predicted_vs_actual``,
    ``residuals``; causal: ``uplift_curve``, ``qini_curve``; clustering:
    ``cluster_sizes``, ``cluster_projection``. Plus ``feature_importances`` when the
    estimator (or, for meta-learners, its per-group models) exposes them.
    """
    features, labels = model_inputs(
        FittedPipeline(preprocessor, model), test_set, recipe.spec
    )
    predictions = model.predict_frame(features)
    task = model.task_type
    if task == "classification":
        figures = _classification_plots(model, features, labels, predictions)
    elif task == "regression":
        figures = {
            "predicted_vs_actual": plots.predicted_vs_actual(
                labels.target, predictions["prediction"]
            ),
            "residuals": plots.residuals(labels.target, predictions["prediction"]),
        }
    elif task == "causal":
        figures = _uplift_plots(predictions["uplift_score"].to_numpy(), labels)
    else:
        clusters = predictions["cluster"].to_numpy()
        figures = {
            "cluster_sizes": plots.cluster_sizes(clusters),
            "cluster_projection": plots.cluster_projection(features, clusters),
        }
    importances = feature_importances(model)
    if importances is not None:
        values, title, xlabel = importances
        figures["feature_importances"] = plots.feature_importances(
            values, title, xlabel
        )
    return figures


def collect_plots(
    tuning_plots: dict[str, Figure], evaluation_plots: dict[str, Figure]
) -> dict[str, Figure]:
    """All plots of the run keyed by file name (``roc_curve.png``...).

    One dataset for all plots: ``MatplotlibDataset`` writes each key as a file name
    as given, and evaluation always draws something, so the logged folder is never
    empty (an empty one fails to log).
    """
    clash = set(tuning_plots) & set(evaluation_plots)
    if clash:
        raise ValueError(f"plot names used twice: {sorted(clash)}")
    return {
        f"{name}.{PLOT_FORMAT}": figure
        for name, figure in {**tuning_plots, **evaluation_plots}.items()
    }


def _classification_plots(
    model: TrainedModel,
    features: pd.DataFrame,
    labels: Labels,
    predictions: pd.DataFrame,
) -> dict[str, Figure]:
    target = labels.target.to_numpy()
    classes = list(getattr(model.estimator, "classes_", np.unique(target)))
    figures = {}
    if hasattr(model.estimator, "predict_proba"):
        scores = model.positive_scores(features)
        figures["roc_curve"] = plots.roc_curve(target, scores, classes)
        figures["precision_recall_curve"] = plots.precision_recall_curve(
            target, scores, classes
        )
        if scores.ndim == 1:
            probabilities = {"model": scores}
            if model.calibrator is not None:
                probabilities = {
                    "before calibration": model.uncalibrated().positive_scores(
                        features
                    ),
                    "calibrated": scores,
                }
            figures["reliability_diagram"] = plots.reliability_diagram(
                (target == classes[-1]).astype(int), probabilities, CALIBRATION_BINS
            )
    figures["confusion_matrix"] = plots.confusion_matrix(
        target, predictions["prediction"].to_numpy(), classes
    )
    return figures


def _uplift_plots(scores: np.ndarray, labels: Labels) -> dict[str, Figure]:
    """causalml's cumulative gain and Qini curves, as the uplift metrics compute them."""
    from causalml.metrics import get_cumgain, get_qini  # heavy: only for uplift tasks

    frame = pd.DataFrame(
        {"y": labels.target.to_numpy(), "w": labels.treatment, "model": scores}
    )
    return {
        "uplift_curve": plots.uplift_curve(
            get_cumgain(frame, outcome_col="y", treatment_col="w")["model"]
        ),
        "qini_curve": plots.qini_curve(
            get_qini(frame, outcome_col="y", treatment_col="w")["model"]
        ),
    }
