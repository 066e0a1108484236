"""``monitoring.drift``: a window scored like the training window is stable; a
shift built into one column is reported for that column only."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mmp_kedro.monitoring.drift import (
    OTHER,
    DriftThresholds,
    drift_report,
    reference_profile,
)

THRESHOLDS = DriftThresholds(
    enabled=True,
    bins=10,
    max_categories=5,
    psi=0.2,
    jensen_shannon=0.1,
    missing_rate_change=0.1,
    prediction_psi=0.2,
)


def window(n: int = 5000, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    spend = rng.lognormal(3.0, 1.0, size=n)
    spend[rng.random(n) < 0.05] = np.nan
    features = pd.DataFrame(
        {
            "age": rng.integers(18, 71, size=n),
            "spend": spend,
            "country_code": rng.choice(
                ["KR", "US", "JP", "DE"], size=n, p=[0.4, 0.3, 0.2, 0.1]
            ),
            "is_member": rng.random(n) < 0.3,
        }
    )
    return features, pd.Series(rng.beta(2, 5, size=n), name="probability")


def report(features: pd.DataFrame, prediction: pd.Series, reference_seed: int = 0):
    reference = reference_profile(
        *window(seed=reference_seed), bins=10, max_categories=5
    )
    # The reference travels as JSON inside the run.
    reference = json.loads(json.dumps(reference))
    return drift_report(reference, features, prediction, THRESHOLDS)


def test_the_training_window_itself_is_stable():
    result = report(*window())
    assert result["verdict"] == "stable"
    assert result["drifted_features"] == [] and not result["prediction_drifted"]
    for entry in result["features"].values():
        assert entry.get("psi", 0.0) == pytest.approx(0.0, abs=1e-9)
        assert entry.get("jensen_shannon", 0.0) == pytest.approx(0.0, abs=1e-9)


def test_another_sample_of_the_same_distribution_is_stable():
    assert report(*window(seed=1))["verdict"] == "stable"


def test_a_shifted_numeric_is_the_only_one_reported():
    features, prediction = window(seed=1)
    features["age"] = features["age"] + 15
    result = report(features, prediction)
    assert result["verdict"] == "drifted"
    assert result["drifted_features"] == ["age"]
    assert result["features"]["age"]["psi"] > THRESHOLDS.psi
    assert result["features"]["spend"]["psi"] < 0.05


def test_a_shifted_category_mix_is_reported_by_jensen_shannon():
    features, prediction = window(seed=1)
    features["country_code"] = np.where(np.arange(len(features)) % 4 == 0, "KR", "DE")
    result = report(features, prediction)
    assert result["drifted_features"] == ["country_code"]
    assert 0.1 < result["features"]["country_code"]["jensen_shannon"] <= 1


def test_unseen_categories_count_as_other():
    features, prediction = window(seed=1)
    features["country_code"] = "BR"
    entry = report(features, prediction)["features"]["country_code"]
    assert entry["drifted"] and entry["jensen_shannon"] > 0.5
    assert (
        OTHER
        not in reference_profile(*window(), 10, 5)["features"]["country_code"]["shares"]
    )


def test_a_missing_rate_change_is_drift_even_with_the_same_values():
    features, prediction = window(seed=1)
    features.loc[features.index[: len(features) // 3], "age"] = np.nan
    result = report(features, prediction)
    assert result["drifted_features"] == ["age"]
    assert result["features"]["age"]["missing_rate_change"] == pytest.approx(
        1 / 3, abs=0.01
    )


def test_a_shifted_prediction_is_reported():
    features, prediction = window(seed=1)
    result = report(features, prediction.clip(upper=0.2) + 0.6)
    assert result["prediction_drifted"] and result["drifted_features"] == []
    assert result["verdict"] == "drifted"


def test_values_beyond_the_training_range_fall_in_the_outer_bins():
    features, prediction = window(seed=1)
    features["spend"] = features["spend"] * 1000
    assert report(features, prediction)["features"]["spend"]["psi"] > 1


def test_a_window_without_a_reference_feature_is_refused():
    features, prediction = window()
    with pytest.raises(
        ValueError, match=r"lacks the reference's feature\(s\) \['age'\]"
    ):
        report(features.drop(columns=["age"]), prediction)
