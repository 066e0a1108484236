"""Report nodes: the plots every training run logs to MLflow as ``plots/<name>.png``.

:func:`plot_tuning` and :func:`plot_evaluation` return figures keyed by plot name;
:func:`collect_plots` turns them into the one ``plots`` dataset (file name ->
figure) that the catalog writes as PNG files and logs to the run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import optuna
import pandas as pd
from matplotlib.figure import Figure
from sklearn.base import BaseEstimator

from mmp_kedro.modeling.estimator import Labels, TrainedModel
from mmp_kedro.modeling.training import (
    FittedPipeline,
    model_inputs,
    search_distribution,
)
from mmp_kedro.recipe import ResolvedRecipe
from mmp_kedro.recipe.schema import SearchRange
from mmp_kedro.reporting import plots

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
    ``predict_proba``), ``confusion_matrix``; regression: ``predicted_vs_actual``,
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


def param_importances(record: dict[str, Any]) -> dict[str, float]:
    """fANOVA importances of the searched hyperparameters, from the search record.

    The completed trials are replayed into an in-memory study (distributions from
    the record's ``search_space``), so this works wherever the study itself lived.
    Empty with fewer than two completed trials, nothing searched, or one value for
    every trial (fANOVA is undefined there).
    """
    distributions = {
        name: search_distribution(SearchRange.model_validate(space))
        for name, space in (record.get("search_space") or {}).items()
    }
    completed = [
        trial
        for trial in record.get("optimization_history") or []
        if trial.get("state") == "COMPLETE"
        and trial.get("value") is not None
        and set(distributions) <= set(trial.get("params") or {})
    ]
    values = [float(trial["value"]) for trial in completed]
    if len(completed) < 2 or not distributions or min(values) == max(values):
        return {}  # undefined: nothing varied, or the objective never moved
    study = optuna.create_study(direction=record.get("direction", "maximize"))
    for trial, value in zip(completed, values, strict=True):
        study.add_trial(
            optuna.trial.create_trial(
                params={name: trial["params"][name] for name in distributions},
                distributions=distributions,
                value=value,
            )
        )
    importances = optuna.importance.get_param_importances(
        study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0)
    )
    return {name: float(importance) for name, importance in importances.items()}


def feature_importances(model: TrainedModel) -> tuple[pd.Series, str, str] | None:
    """(importance per model input, title, axis label), or None if the model has none.

    Trees give ``feature_importances_``, linear models ``coef_`` (mean absolute value
    over classes). causalml meta-learners hold one outcome model per treatment group
    and one for control (``models_t``/``models_c``): their importances are averaged.
    """
    estimator = model.estimator
    name = model.class_path.rsplit(".", 1)[-1]
    kind, values = _importances(estimator, len(model.feature_names))
    if values is not None:
        found, title = [(kind, values)], f"Feature importances: {name}"
    else:
        sub_models = [
            sub
            for group in ("models_c", "models_t")
            for sub in (getattr(estimator, group, None) or {}).values()
        ]
        found = [
            (kind, values)
            for kind, values in (
                _importances(sub, len(model.feature_names)) for sub in sub_models
            )
            if values is not None
        ]
        title = (
            f"Feature importances: {name}\n"
            f"(mean of its {len(found)} per-group outcome models)"
        )
    if not found:
        return None
    average = np.mean([values for _, values in found], axis=0)
    xlabel = " / ".join(sorted({kind for kind, _ in found}))
    return pd.Series(average, index=model.feature_names), title, xlabel


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


def _importances(estimator: Any, n_features: int) -> tuple[str, np.ndarray | None]:
    """(what the numbers are, one value per model input) of an estimator, if it has."""
    values = getattr(estimator, "feature_importances_", None)
    kind = getattr(estimator, "importance_type", None)
    kind = f"importance ({kind})" if kind else "importance"
    if values is None and getattr(estimator, "coef_", None) is not None:
        coef = np.abs(np.asarray(estimator.coef_, dtype=float))
        values = coef.mean(axis=0) if coef.ndim == 2 else coef
        kind = "|coefficient|"
    if values is None:
        return "", None
    values = np.asarray(values, dtype=float).ravel()
    return (kind, values) if len(values) == n_features else ("", None)
