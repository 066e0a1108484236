"""Data drift: a scored window's feature and prediction distributions against the
training reference the run stored.

At training, :func:`reference_profile` describes every feature the model reads and
the prediction: numerics by the shares of rows in quantile bins of the training
rows, categoricals by category shares, both with their missing rate. Later
:func:`drift_report` compares a window with it: the population stability index
(PSI) per numeric, the Jensen-Shannon divergence (base 2, 0..1) per categorical, the
change in missing rate, and the prediction's PSI (JS for a class or cluster), each
against the env's thresholds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy.spatial.distance import jensenshannon

from mmp_kedro.recipe.schema import PREDICTION_COLUMNS, Recipe
from mmp_kedro.spine.frames import EVENT_TIMESTAMP

#: The share of an empty bin or unseen category in PSI: ln(0) is undefined.
_EMPTY_SHARE = 1e-4
#: The category standing for every category beyond ``max_categories`` and unseen ones.
OTHER = "__other__"


class DriftThresholds(BaseModel):
    """``drift_monitoring`` in ``conf/<env>/parameters_monitoring.yml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool
    #: Quantile bins of a numeric reference.
    bins: int = Field(ge=2, le=100)
    #: Categories kept by name in a reference; the rest are pooled.
    max_categories: int = Field(ge=1)
    psi: float = Field(gt=0)
    jensen_shannon: float = Field(gt=0, le=1)
    missing_rate_change: float = Field(gt=0, le=1)
    prediction_psi: float = Field(gt=0)


def reference_profile(
    features: pd.DataFrame, prediction: pd.Series, bins: int, max_categories: int
) -> dict[str, Any]:
    """The distribution of each column of ``features`` and of ``prediction``."""
    return {
        "rows": len(features),
        "features": {
            name: _profile(features[name], bins, max_categories)
            for name in features.columns
        },
        "prediction": {
            "column": prediction.name,
            **_profile(prediction, bins, max_categories),
        },
    }


def drift_report(
    reference: dict[str, Any],
    features: pd.DataFrame,
    prediction: pd.Series,
    thresholds: DriftThresholds,
) -> dict[str, Any]:
    """Each feature's and the prediction's drift from ``reference``, with a verdict
    per column (``drifted`` or ``stable``) and overall.

    Raises:
        ValueError: the window lacks a feature of the reference.
    """
    missing = [name for name in reference["features"] if name not in features.columns]
    if missing:
        raise ValueError(
            f"the scored window lacks the reference's feature(s) {missing}; it has "
            f"{list(features.columns)}"
        )
    compared = {
        name: _compare(profile, features[name], thresholds, thresholds.psi)
        for name, profile in reference["features"].items()
    }
    predicted = _compare(
        reference["prediction"], prediction, thresholds, thresholds.prediction_psi
    )
    drifted = [name for name, entry in compared.items() if entry["drifted"]]
    return {
        "rows": len(features),
        "reference_rows": reference["rows"],
        "verdict": "drifted" if drifted or predicted["drifted"] else "stable",
        "drifted_features": drifted,
        "prediction_drifted": predicted["drifted"],
        "thresholds": thresholds.model_dump(exclude={"enabled"}),
        "features": compared,
        "prediction": {"column": reference["prediction"]["column"], **predicted},
    }


def model_features(frame: pd.DataFrame, recipe: Recipe) -> list[str]:
    """The columns of ``frame`` the model reads: not a label, an excluded column or
    the event timestamp."""
    skipped = {
        *recipe.data_interface.label_columns,
        *recipe.preprocessor.params.exclude_cols,
        EVENT_TIMESTAMP,
    }
    return [name for name in frame.columns if name not in skipped]


def prediction_column(predictions: pd.DataFrame, task_type: str) -> str:
    """The prediction whose distribution is watched: a classifier's probability
    (its label when it has none), else the task's one prediction column."""
    columns = PREDICTION_COLUMNS[task_type]
    if task_type == "classification" and predictions["probability"].notna().any():
        return "probability"
    return columns[0]


def is_numeric(values: pd.Series) -> bool:
    """Binned by quantiles (numbers) rather than counted by category."""
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(
        values
    )


def _profile(values: pd.Series, bins: int, max_categories: int) -> dict[str, Any]:
    present = values.dropna()
    missing_rate = float(values.isna().mean()) if len(values) else 0.0
    if is_numeric(values):
        edges = np.unique(
            np.quantile(present.to_numpy(float), np.linspace(0, 1, bins + 1))
        )
        # Open outer edges: a window's values beyond the training range still count.
        inner = edges[1:-1].tolist()
        return {
            "kind": "numeric",
            "missing_rate": missing_rate,
            "edges": inner,
            "shares": _bin_shares(present, inner).tolist(),
        }
    shares = present.astype(str).value_counts(normalize=True)
    kept = shares.iloc[:max_categories]
    categories = {str(k): float(v) for k, v in kept.items()}
    if len(shares) > max_categories:
        categories[OTHER] = float(shares.iloc[max_categories:].sum())
    return {"kind": "categorical", "missing_rate": missing_rate, "shares": categories}


def _compare(
    profile: dict[str, Any],
    values: pd.Series,
    thresholds: DriftThresholds,
    psi_threshold: float,
) -> dict[str, Any]:
    present = values.dropna()
    missing_rate = float(values.isna().mean()) if len(values) else 0.0
    missing_change = missing_rate - profile["missing_rate"]
    result: dict[str, Any] = {
        "kind": profile["kind"],
        "missing_rate": missing_rate,
        "missing_rate_change": missing_change,
    }
    if profile["kind"] == "numeric":
        expected = np.asarray(profile["shares"])
        actual = _bin_shares(present.astype(float), profile["edges"])
        result["psi"] = _psi(expected, actual)
        distribution_drifted = result["psi"] > psi_threshold
    else:
        expected, actual = _category_shares(profile["shares"], present)
        result["jensen_shannon"] = (
            float(jensenshannon(expected, actual, base=2) ** 2) if len(present) else 0.0
        )
        distribution_drifted = result["jensen_shannon"] > thresholds.jensen_shannon
    result["drifted"] = bool(
        distribution_drifted or abs(missing_change) > thresholds.missing_rate_change
    )
    return result


def _bin_shares(values: pd.Series, inner_edges: list[float]) -> np.ndarray:
    counts = np.bincount(
        np.searchsorted(np.asarray(inner_edges), values.to_numpy(float), side="right"),
        minlength=len(inner_edges) + 1,
    )
    return counts / max(counts.sum(), 1)


def _category_shares(
    reference: dict[str, float], values: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """Reference and window shares over the reference's categories (a category the
    reference does not name counts as :data:`OTHER`)."""
    names = list(reference)
    if OTHER not in names:
        names.append(OTHER)
    observed = values.astype(str).where(values.astype(str).isin(reference), OTHER)
    counts = observed.value_counts(normalize=True)
    expected = np.array([reference.get(name, 0.0) for name in names])
    actual = np.array([float(counts.get(name, 0.0)) for name in names])
    return expected, actual


def _psi(expected: np.ndarray, actual: np.ndarray) -> float:
    expected = np.clip(expected, _EMPTY_SHARE, None)
    actual = np.clip(actual, _EMPTY_SHARE, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))
