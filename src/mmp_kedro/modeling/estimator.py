"""Any ``class_path`` model behind one interface per task.

The recipe names a class; this module knows how each task calls it: ``fit(X, y)``
for classification and regression, ``fit(X=..., treatment=..., y=...)`` (by keyword,
as causalml 0.18 asks) for uplift, ``fit(X)`` for clustering; and how each task
turns predictions into output columns.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mmp_kedro.recipe.loader import import_model_class


@dataclass
class Labels:
    """What a model learns from besides the features."""

    target: pd.Series | None = None
    treatment: np.ndarray | None = None


def treatment_indicator(values: pd.Series, treatment_value: Any) -> np.ndarray:
    """1 where the row was treated, 0 for control (causalml's ``control_name=0``)."""
    return (values.astype(str) == str(treatment_value)).to_numpy(dtype=int)


@dataclass
class TrainedModel:
    """A fitted estimator with what its task needs to predict and report."""

    estimator: Any
    task_type: str
    class_path: str
    hyperparameters: dict[str, Any]
    feature_names: list[str] = field(default_factory=list)
    fit_seconds: float = 0.0
    #: Maps the classifier's probabilities to calibrated ones (sklearn's
    #: ``CalibratedClassifierCV`` over the frozen estimator); None: uncalibrated.
    calibrator: Any = None

    def calibrated(
        self, features: pd.DataFrame, target: pd.Series, method: str
    ) -> TrainedModel:
        """This classifier with a ``method`` (isotonic | sigmoid) calibrator fitted
        on ``features``/``target``: rows the estimator was not fitted on."""
        from sklearn.calibration import CalibratedClassifierCV  # training only
        from sklearn.frozen import FrozenEstimator

        calibrator = CalibratedClassifierCV(
            FrozenEstimator(self.estimator), method=method
        )
        calibrator.fit(self._model_input(features), target.to_numpy())
        return dataclasses.replace(self, calibrator=calibrator)

    def uncalibrated(self) -> TrainedModel:
        """The same estimator without its calibrator."""
        return dataclasses.replace(self, calibrator=None)

    def predict_frame(self, features: pd.DataFrame) -> pd.DataFrame:
        """Predictions as a DataFrame with the task's prediction columns
        (:data:`~mmp_kedro.recipe.schema.PREDICTION_COLUMNS`)."""
        return pd.DataFrame(self.predict_columns(features), index=features.index)

    def predict_columns(self, features: pd.DataFrame) -> dict[str, np.ndarray]:
        """The task's prediction columns, one array each, in row order.

        Arrays rather than a frame, for callers that add them to a frame of their own.
        """
        X = self._model_input(features)  # noqa: N806
        if self.task_type == "classification":
            labels, proba = self._classify_matrix(X)
            if proba is None:
                probability = np.full(len(X), np.nan)
            else:
                probability = proba[:, 1] if proba.shape[1] == 2 else proba.max(axis=1)
            return {"prediction": labels, "probability": probability}
        if self.task_type == "causal":
            uplift = np.asarray(self.estimator.predict(X))
            uplift = uplift[:, 0] if uplift.ndim == 2 else uplift
            return {"uplift_score": uplift.astype(float)}
        if self.task_type == "clustering":
            return {"cluster": np.asarray(self.estimator.predict(X)).astype(int)}
        return {
            "prediction": np.asarray(self.estimator.predict(X), dtype=float).ravel()
        }

    def limit_threads(self, n_threads: int) -> None:
        """Predict with at most ``n_threads`` threads per call.

        For servers answering many one-row requests at once: a recipe's ``n_jobs``
        suits training, but a thread pool per one-row call only adds contention.
        Sets ``n_jobs`` on the estimator and on every estimator it holds (causalml
        meta-learners keep one fitted model per treatment group).
        """
        for estimator in _estimators_within(self.estimator):
            try:
                takes_n_jobs = "n_jobs" in estimator.get_params(deep=False)
            except (AttributeError, RuntimeError):  # not sklearn-conformant (causalml)
                continue
            if takes_n_jobs:
                estimator.set_params(n_jobs=n_threads)

    def classify(self, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """Predicted classes and class probabilities (``classes_`` order; None
        without ``predict_proba``), from one model call.

        The label is the most probable class, which is what sklearn-API classifiers'
        ``predict()`` returns from the same scores.
        """
        return self._classify_matrix(self._model_input(features))

    def _classify_matrix(
        self,
        X: np.ndarray | pd.DataFrame,  # noqa: N803
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """:meth:`classify` on input already in the model's form (:meth:`_model_input`)."""
        scorer = self.estimator if self.calibrator is None else self.calibrator
        if not hasattr(scorer, "predict_proba"):
            return np.asarray(scorer.predict(X)).ravel(), None
        proba = np.asarray(scorer.predict_proba(X))
        return np.asarray(scorer.classes_)[proba.argmax(axis=1)], proba

    def positive_scores(self, features: pd.DataFrame) -> np.ndarray:
        """Class-1 probabilities (binary) or all class probabilities (multiclass)."""
        _, proba = self.classify(features)
        return proba[:, 1] if proba.shape[1] == 2 else proba

    def _model_input(self, features: pd.DataFrame) -> np.ndarray | pd.DataFrame:
        """``features`` as the model was fitted on them, columns in order: a float
        matrix, or the DataFrame for a model fitted on one (artifacts trained before
        models were fitted on matrices, which check the column names)."""
        if self.feature_names and list(features.columns) != self.feature_names:
            features = features[self.feature_names]
        if hasattr(self.estimator, "feature_names_in_"):
            return features
        return _as_matrix(features)


def _as_matrix(features: pd.DataFrame) -> np.ndarray:
    """The preprocessor's numeric output as a float64 matrix.

    Models are fitted and predict on matrices, with :attr:`TrainedModel.feature_names`
    keeping the column order: the same values as the DataFrame, without each library
    re-validating column names and dtypes on every call (for XGBoost, most of a
    one-row prediction).
    """
    return features.to_numpy(dtype=np.float64)


def _estimators_within(obj: Any, depth: int = 2) -> list[Any]:
    """``obj`` and the sklearn-API estimators held in its attributes, dicts and lists."""
    found = [obj]
    if depth == 0 or not hasattr(obj, "__dict__"):
        return found
    for value in vars(obj).values():
        if isinstance(value, dict):
            members = list(value.values())
        else:
            members = list(value) if isinstance(value, list | tuple) else [value]
        for member in members:
            if hasattr(member, "set_params") and member is not obj:
                found.extend(_estimators_within(member, depth - 1))
    return found


def fit_model(
    class_path: str,
    hyperparameters: dict[str, Any],
    task_type: str,
    features: pd.DataFrame,
    labels: Labels,
) -> TrainedModel:
    """Instantiate ``class_path`` with ``hyperparameters`` and fit it for the task."""
    estimator = import_model_class(class_path)(**hyperparameters)
    X = _as_matrix(features)  # noqa: N806
    started = time.perf_counter()
    if task_type == "causal":
        estimator.fit(X=X, treatment=labels.treatment, y=labels.target.to_numpy())
    elif task_type == "clustering":
        estimator.fit(X)
    else:
        estimator.fit(X, labels.target.to_numpy())
    return TrainedModel(
        estimator=estimator,
        task_type=task_type,
        class_path=class_path,
        hyperparameters=dict(hyperparameters),
        feature_names=list(features.columns),
        fit_seconds=time.perf_counter() - started,
    )
