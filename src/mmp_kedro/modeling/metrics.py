"""Metrics per task, computed the same way while tuning and on the test split."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from mmp_kedro.modeling.estimator import Labels, TrainedModel

#: Seed and size of the shuffled-score baseline the uplift metrics are compared with.
SHUFFLE_SEED = 20250101
SHUFFLES = 20
#: Equal-width probability bins of the expected calibration error and its diagram.
CALIBRATION_BINS = 10
#: How well a binary classifier's probabilities match observed rates (lower: better).
CALIBRATION_METRICS = ("brier_score", "expected_calibration_error")


def evaluate(
    model: TrainedModel,
    features: pd.DataFrame,
    labels: Labels,
    with_baselines: bool = True,
) -> dict[str, float]:
    """All metrics of the model's task on ``features``/``labels``.

    ``with_baselines=False`` skips the shuffled uplift baselines, which tuning folds
    do not need (they only rank trials by the model's own score).
    """
    task = model.task_type
    if task == "classification":
        return _classification(model, features, labels.target)
    if task == "regression":
        return _regression(model.predict_frame(features)["prediction"], labels.target)
    if task == "causal":
        scores = model.predict_frame(features)["uplift_score"].to_numpy()
        return uplift_metrics(
            scores,
            labels.target.to_numpy(),
            labels.treatment,
            shuffles=SHUFFLES if with_baselines else 0,
        )
    clusters = model.predict_frame(features)["cluster"].to_numpy()
    return _clustering(features, clusters)


def uplift_metrics(
    scores: np.ndarray,
    outcome: np.ndarray,
    treatment: np.ndarray,
    shuffles: int = SHUFFLES,
) -> dict[str, float]:
    """AUUC and Qini of ``scores`` and of the same scores shuffled.

    Both are causalml's areas under the cumulative gain / Qini curves divided by the
    number of rows (the mean height of the curve, in outcome units), so folds and
    test splits of different sizes compare. causalml's *normalised* variant divides
    by the curve's end point, the observed total effect, and explodes when that is
    near zero, so it is not used. A random ranking is not a fixed number either: the
    baseline is the model's own scores in random orders, averaged over
    :data:`SHUFFLES` shuffles so one lucky shuffle cannot decide a comparison.
    """
    from causalml.metrics import auuc_score, qini_score  # heavy: only for uplift tasks

    rng = np.random.default_rng(SHUFFLE_SEED)
    shuffled = {f"shuffled_{i}": rng.permutation(scores) for i in range(shuffles)}
    frame = pd.DataFrame({"y": outcome, "w": treatment, "model": scores, **shuffled})
    auuc = auuc_score(frame, outcome_col="y", treatment_col="w", normalize=False) / len(
        frame
    )
    qini = qini_score(frame, outcome_col="y", treatment_col="w", normalize=False) / len(
        frame
    )
    treated = treatment == 1
    observed_ate = (
        float(outcome[treated].mean() - outcome[~treated].mean())
        if treated.any() and (~treated).any()
        else float("nan")
    )
    result = {"auuc": float(auuc["model"]), "qini": float(qini["model"])}
    if shuffled:
        result["auuc_shuffled_baseline"] = float(auuc[list(shuffled)].mean())
        result["qini_shuffled_baseline"] = float(qini[list(shuffled)].mean())
    return {
        **result,
        "ate": float(np.mean(scores)),
        "ate_observed": observed_ate,
    }


def _classification(
    model: TrainedModel, features: pd.DataFrame, target: pd.Series
) -> dict[str, float]:
    predicted, proba = model.classify(features)
    classes = np.unique(target)
    binary = len(classes) <= 2
    average = "binary" if binary else "macro"
    pos_label = classes[-1] if binary else 1
    result = {
        "accuracy": skm.accuracy_score(target, predicted),
        "f1": skm.f1_score(
            target, predicted, average=average, pos_label=pos_label, zero_division=0
        ),
        "precision": skm.precision_score(
            target, predicted, average=average, pos_label=pos_label, zero_division=0
        ),
        "recall": skm.recall_score(
            target, predicted, average=average, pos_label=pos_label, zero_division=0
        ),
    }
    if proba is not None:
        model_classes = list(
            getattr(model.estimator, "classes_", range(proba.shape[1]))
        )
        if len(classes) > 1:
            result["roc_auc"] = (
                skm.roc_auc_score(target, proba[:, 1])
                if proba.shape[1] == 2
                else skm.roc_auc_score(
                    target, proba, multi_class="ovr", labels=model_classes
                )
            )
        result["log_loss"] = skm.log_loss(target, proba, labels=model_classes)
        if proba.shape[1] == 2:
            positive = (np.asarray(target) == model_classes[1]).astype(int)
            result["brier_score"] = skm.brier_score_loss(positive, proba[:, 1])
            result["expected_calibration_error"] = expected_calibration_error(
                positive, proba[:, 1]
            )
    return {k: float(v) for k, v in result.items()}


def expected_calibration_error(
    outcome: np.ndarray, probability: np.ndarray, bins: int = CALIBRATION_BINS
) -> float:
    """The rows' mean gap between predicted probability and observed rate: over
    ``bins`` equal-width probability bins, |rate - mean probability| weighted by the
    bin's share of rows."""
    probability = np.asarray(probability, dtype=np.float64)  # XGBoost's are float32
    which = np.clip((probability * bins).astype(int), 0, bins - 1)
    predicted = np.bincount(which, weights=probability, minlength=bins)
    observed = np.bincount(which, weights=outcome, minlength=bins)
    return float(np.abs(observed - predicted).sum() / len(probability))


def _regression(predicted: pd.Series, target: pd.Series) -> dict[str, float]:
    return {
        "rmse": float(np.sqrt(skm.mean_squared_error(target, predicted))),
        "mae": float(skm.mean_absolute_error(target, predicted)),
        "r2": float(skm.r2_score(target, predicted)),
    }


def _clustering(features: pd.DataFrame, clusters: np.ndarray) -> dict[str, float]:
    n_clusters = len(np.unique(clusters))
    if n_clusters < 2 or n_clusters >= len(clusters):
        # Undefined for one cluster: the worst value in each metric's direction.
        return {
            "silhouette": -1.0,
            "calinski_harabasz": 0.0,
            "davies_bouldin": float("inf"),
            "n_clusters": float(n_clusters),
        }
    sample = min(len(features), 5000)  # silhouette is O(n^2)
    return {
        "silhouette": float(
            skm.silhouette_score(features, clusters, sample_size=sample, random_state=0)
        ),
        "calinski_harabasz": float(skm.calinski_harabasz_score(features, clusters)),
        "davies_bouldin": float(skm.davies_bouldin_score(features, clusters)),
        "n_clusters": float(n_clusters),
    }
