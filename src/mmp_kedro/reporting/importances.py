"""Importances: of the searched hyperparameters (fANOVA over the trials) and of the
model's inputs (trees, linear models, causalml meta-learners)."""

from __future__ import annotations

from typing import Any

import numpy as np
import optuna
import pandas as pd

from mmp_kedro.modeling.estimator import TrainedModel
from mmp_kedro.modeling.search import search_distribution
from mmp_kedro.recipe.schema import SearchRange


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
