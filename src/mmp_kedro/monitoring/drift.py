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

from dataclasses import dataclass
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
    tally = WindowTally(reference)
    tally.add(features, prediction.to_frame())
    return tally.report(thresholds)


class WindowTally:
    """A scored window counted into the bins and categories of a training
    ``reference``, chunk by chunk: the report of all chunks added equals
    :func:`drift_report` of their concatenation, while only counts are held."""

    def __init__(self, reference: dict[str, Any]):
        self.reference = reference
        self.rows = 0
        columns = {**reference["features"], PREDICTION: reference["prediction"]}
        self._missing = dict.fromkeys(columns, 0)
        self._counts = {
            name: np.zeros(_slots(profile), dtype=np.int64)
            for name, profile in columns.items()
        }

    def add(self, features: pd.DataFrame, predictions: pd.DataFrame) -> None:
        """Count ``features`` (every reference feature a column) and the reference's
        prediction column of ``predictions``.

        Raises:
            ValueError: ``features`` lacks a feature of the reference.
        """
        missing = [
            name for name in self.reference["features"] if name not in features.columns
        ]
        if missing:
            raise ValueError(
                f"the scored window lacks the reference's feature(s) {missing}; it "
                f"has {list(features.columns)}"
            )
        self.rows += len(features)
        for name, profile in self.reference["features"].items():
            self._count(name, profile, features[name])
        prediction = self.reference["prediction"]
        self._count(PREDICTION, prediction, predictions[prediction["column"]])

    def report(self, thresholds: DriftThresholds) -> dict[str, Any]:
        """The verdict per feature, for the prediction and overall."""
        compared = {
            name: self._compare(name, profile, thresholds, thresholds.psi)
            for name, profile in self.reference["features"].items()
        }
        predicted = self._compare(
            PREDICTION,
            self.reference["prediction"],
            thresholds,
            thresholds.prediction_psi,
        )
        drifted = [name for name, entry in compared.items() if entry["drifted"]]
        return {
            "rows": self.rows,
            "reference_rows": self.reference["rows"],
            "verdict": "drifted" if drifted or predicted["drifted"] else "stable",
            "drifted_features": drifted,
            "prediction_drifted": predicted["drifted"],
            "thresholds": thresholds.model_dump(exclude={"enabled"}),
            "features": compared,
            "prediction": {
                "column": self.reference["prediction"]["column"],
                **predicted,
            },
        }

    def _count(self, name: str, profile: dict[str, Any], values: pd.Series) -> None:
        present = values.dropna()
        self._missing[name] += len(values) - len(present)
        if profile["kind"] == "numeric":
            self._counts[name] += _bin_counts(present, profile["edges"])
            return
        observed = present.astype(str)
        codes = pd.Categorical(
            observed.where(observed.isin(profile["shares"]), OTHER),
            categories=_category_names(profile),
        ).codes
        self._counts[name] += np.bincount(
            codes[codes >= 0], minlength=len(self._counts[name])
        )

    def _compare(
        self,
        name: str,
        profile: dict[str, Any],
        thresholds: DriftThresholds,
        psi_threshold: float,
    ) -> dict[str, Any]:
        counts = self._counts[name]
        missing_rate = self._missing[name] / self.rows if self.rows else 0.0
        missing_change = missing_rate - profile["missing_rate"]
        result: dict[str, Any] = {
            "kind": profile["kind"],
            "missing_rate": missing_rate,
            "missing_rate_change": missing_change,
        }
        actual = _shares(counts)
        if profile["kind"] == "numeric":
            result["psi"] = _psi(np.asarray(profile["shares"]), actual)
            distribution_drifted = result["psi"] > psi_threshold
        else:
            expected = np.array(
                [profile["shares"].get(c, 0.0) for c in _category_names(profile)]
            )
            result["jensen_shannon"] = (
                float(jensenshannon(expected, actual, base=2) ** 2)
                if counts.sum()
                else 0.0
            )
            distribution_drifted = result["jensen_shannon"] > thresholds.jensen_shannon
        result["drifted"] = bool(
            distribution_drifted or abs(missing_change) > thresholds.missing_rate_change
        )
        return result


@dataclass(frozen=True)
class UnmeasuredWindow:
    """A window whose drift is not measured, and why: its report is only
    ``{"verdict": <why>}`` (``disabled``, ``no_reference``)."""

    verdict: str

    def add(self, features: pd.DataFrame, predictions: pd.DataFrame) -> None:
        """Nothing to count."""

    def report(self, thresholds: DriftThresholds) -> dict[str, Any]:
        return {"verdict": self.verdict}


#: The prediction's entry in a tally (no feature can be named so: it is not a column).
PREDICTION = "\x00prediction"


def _slots(profile: dict[str, Any]) -> int:
    if profile["kind"] == "numeric":
        return len(profile["edges"]) + 1
    return len(_category_names(profile))


def _category_names(profile: dict[str, Any]) -> list[str]:
    """The reference's categories, then :data:`OTHER` (a category it does not name
    counts as that)."""
    names = list(profile["shares"])
    return names if OTHER in names else [*names, OTHER]


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
            "shares": _shares(_bin_counts(present, inner)).tolist(),
        }
    shares = present.astype(str).value_counts(normalize=True)
    kept = shares.iloc[:max_categories]
    categories = {str(k): float(v) for k, v in kept.items()}
    if len(shares) > max_categories:
        categories[OTHER] = float(shares.iloc[max_categories:].sum())
    return {"kind": "categorical", "missing_rate": missing_rate, "shares": categories}


def _bin_counts(values: pd.Series, inner_edges: list[float]) -> np.ndarray:
    """How many of ``values`` fall in each bin (the outer ones open-ended)."""
    return np.bincount(
        np.searchsorted(np.asarray(inner_edges), values.to_numpy(float), side="right"),
        minlength=len(inner_edges) + 1,
    )


def _shares(counts: np.ndarray) -> np.ndarray:
    return counts / max(counts.sum(), 1)


def _psi(expected: np.ndarray, actual: np.ndarray) -> float:
    expected = np.clip(expected, _EMPTY_SHARE, None)
    actual = np.clip(actual, _EMPTY_SHARE, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))
