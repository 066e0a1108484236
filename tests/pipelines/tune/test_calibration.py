"""Probability calibration through the tune nodes: the calibrator is fitted on rows
of the train split the model never saw, travels inside the model, and lowers the
test ECE of a model that is miscalibrated by construction."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from mmp_kedro.config.training import TrainingParams
from mmp_kedro.modeling.metrics import expected_calibration_error
from mmp_kedro.modeling.splits import RANDOM_SPLIT
from mmp_kedro.pipelines.tune.nodes import (
    calibrate_model,
    evaluate_on_test,
    fit_final_model,
    split_calibration_set,
    split_train_test,
)
from mmp_kedro.recipe import ResolvedRecipe
from mmp_kedro.recipe.schema import Recipe

SIGNAL = [f"x{i}" for i in range(8)]
NO_TUNING = {"enabled": False, "best_params": {}, "fit_seconds_total": 0.0}


def training(method: str) -> TrainingParams:
    calibration = RANDOM_SPLIT.calibration.model_copy(
        update={"method": method, "ratio": 0.3}
    )
    return TrainingParams(
        test_ratio=0.25,
        cv_folds=3,
        random_state=0,
        validation=RANDOM_SPLIT.model_copy(update={"calibration": calibration}),
    )


def naive_bayes_recipe() -> ResolvedRecipe:
    """Gaussian naive Bayes on eight copies of one signal: it counts the evidence
    eight times over, so its probabilities are pushed to 0 and 1."""
    spec = Recipe.model_validate(
        {
            "model": {"class_path": "sklearn.naive_bayes.GaussianNB"},
            "loader": {"source_uri": "recipes/sql/loaders/synthetic.sql"},
            "preprocessor": {"params": {"exclude_cols": ["row_id"]}},
            "data_interface": {"task_type": "classification", "target_col": "label"},
        }
    )
    return ResolvedRecipe(
        name="naive_bayes",
        path="recipes/naive_bayes.yaml",
        spec=spec,
        yaml_text="",
        loader_sql="",
        spine_columns=("row_id", *SIGNAL, "label"),
    )


def make_rows(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    label = (rng.random(n) < 1 / (1 + np.exp(-1.5 * signal))).astype(int)
    copies = {name: signal + rng.normal(scale=0.05, size=n) for name in SIGNAL}
    return pd.DataFrame({"row_id": np.arange(n), **copies, "label": label})


def train(method: str):
    recipe, params = naive_bayes_recipe(), training(method)
    train_set, test_set = split_train_test(make_rows(), recipe, params)
    fit_set, calibration_set = split_calibration_set(train_set, recipe, params)
    preprocessor, fitted = fit_final_model(fit_set, recipe, NO_TUNING)
    model = calibrate_model(fitted, preprocessor, calibration_set, recipe, params)
    metrics = evaluate_on_test(test_set, recipe, preprocessor, model, NO_TUNING)
    return {
        "train_set": train_set,
        "fit_set": fit_set,
        "calibration_set": calibration_set,
        "test_set": test_set,
        "preprocessor": preprocessor,
        "model": model,
        "metrics": {name: entry["value"] for name, entry in metrics.items()},
    }


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_calibration_lowers_the_test_ece_of_a_miscalibrated_model(method):
    trained = train(method)
    metrics = trained["metrics"]
    assert metrics["expected_calibration_error_before_calibration"] > 0.05
    assert (
        metrics["expected_calibration_error"]
        < 0.5 * metrics["expected_calibration_error_before_calibration"]
    )
    assert metrics["brier_score"] < metrics["brier_score_before_calibration"]


def test_the_calibrator_sees_only_train_rows_the_model_was_not_fitted_on():
    trained = train("isotonic")
    fit_ids = set(trained["fit_set"]["row_id"])
    calibration_ids = set(trained["calibration_set"]["row_id"])
    assert fit_ids.isdisjoint(calibration_ids)
    assert fit_ids | calibration_ids == set(trained["train_set"]["row_id"])
    assert calibration_ids.isdisjoint(trained["test_set"]["row_id"])
    assert 0.25 <= len(calibration_ids) / len(trained["train_set"]) <= 0.35


def test_the_artifacts_model_predicts_calibrated_probabilities():
    """What batch, evaluate and serving run: the pickled model's predict_columns."""
    trained = train("isotonic")
    model = pickle.loads(pickle.dumps(trained["model"]))
    test = trained["test_set"]
    features = trained["preprocessor"].transform(test.drop(columns=["label"]))
    served = model.predict_columns(features)["probability"]
    raw = model.uncalibrated().predict_columns(features)["probability"]
    outcome = test["label"].to_numpy()
    assert not np.allclose(served, raw)
    assert expected_calibration_error(outcome, served) == pytest.approx(
        trained["metrics"]["expected_calibration_error"]
    )
    assert expected_calibration_error(outcome, served) < expected_calibration_error(
        outcome, raw
    )


def test_without_calibration_the_model_is_fitted_on_every_train_row():
    trained = train("none")
    assert trained["model"].calibrator is None
    assert len(trained["fit_set"]) == len(trained["train_set"])
    assert trained["calibration_set"].empty
    assert "expected_calibration_error" in trained["metrics"]
    assert "expected_calibration_error_before_calibration" not in trained["metrics"]


def test_the_ece_of_known_probabilities():
    outcome = np.array([1, 0, 1, 1])
    # One bin at 0.75 observed 3/4: calibrated; at 0.95 observed 3/4: 0.2 off.
    assert expected_calibration_error(outcome, np.full(4, 0.75)) == pytest.approx(0)
    assert expected_calibration_error(outcome, np.full(4, 0.95)) == pytest.approx(0.2)
