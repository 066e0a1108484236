"""Unit tests of the search and the fits it runs: leakage-safe folds, Optuna, pruning,
the env's timeout, and the uplift metrics trials are ranked by.

All data is synthetic and small, so the whole module runs in seconds.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mmp_kedro.config.training import TrainingParams, TuningParams
from mmp_kedro.modeling import search
from mmp_kedro.modeling.fitting import fit_pipeline
from mmp_kedro.modeling.metrics import uplift_metrics
from mmp_kedro.modeling.preprocessing import SimpleScaler
from mmp_kedro.modeling.search import run_search
from mmp_kedro.modeling.splits import RANDOM_SPLIT, cv_folds, holdout_split
from mmp_kedro.recipe.schema import Recipe

ROW_ID = "row_id"
NUMERIC = ["spend", "visits", "tenure"]
TRAINING = TrainingParams(
    test_ratio=0.25, cv_folds=3, random_state=0, validation=RANDOM_SPLIT
)
PRUNING = {
    "enabled": True,
    "algorithm": "MedianPruner",
    "n_startup_trials": 2,
    "n_warmup_steps": 0,
}
NO_PRUNING = {**PRUNING, "enabled": False}


def tuning_params(**changes: Any) -> TuningParams:
    """The tests' tuning limits (no timeout, one process), with ``changes``."""
    return TuningParams.model_validate(
        {
            "engine": "optuna",
            "timeout_seconds": None,
            "n_jobs": 1,
            "workers": 1,
            "study_name": None,
            "pruning": PRUNING,
            **changes,
        }
    )


TUNING = tuning_params()


def make_recipe(
    class_path: str = "sklearn.linear_model.LogisticRegression",
    hyperparameters: dict[str, Any] | None = None,
    n_trials: int | None = None,
) -> Recipe:
    """A classification recipe on :func:`make_frame`; tuning on when ``n_trials``."""
    tuning = (
        {"enabled": True, "n_trials": n_trials, "metric": "roc_auc"}
        if n_trials
        else {"enabled": False}
    )
    return Recipe.model_validate(
        {
            "model": {
                "class_path": class_path,
                "hyperparameters": hyperparameters or {"max_iter": 500},
            },
            "hyperparameter_tuning": tuning,
            "loader": {"source_uri": "recipes/sql/loaders/synthetic.sql"},
            "augmenter": {"type": "pass_through"},
            "preprocessor": {
                "name": "simple_scaler",
                "params": {"exclude_cols": [ROW_ID], "criterion_col": None},
            },
            "data_interface": {"task_type": "classification", "target_col": "label"},
        }
    )


def make_frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Rows with a unique ``row_id``, skewed numerics (some missing) and a label."""
    rng = np.random.default_rng(seed)
    spend = rng.lognormal(mean=3.0, sigma=1.2, size=n)
    visits = rng.poisson(5, size=n).astype(float)
    tenure = rng.exponential(400.0, size=n)
    tenure[rng.random(n) < 0.1] = np.nan
    region = rng.choice(["north", "south", "east"], size=n)
    logit = 0.8 * (np.log(spend) - 3.0) + 0.3 * (visits - 5) + (region == "east")
    label = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            ROW_ID: np.arange(n),
            "spend": spend,
            "visits": visits,
            "tenure": tenure,
            "region": region,
            "label": label,
        }
    )


def imputed_means(rows: pd.DataFrame) -> pd.Series:
    """What the scaler should learn: means after median imputation, on ``rows``."""
    numeric = rows[NUMERIC]
    return numeric.fillna(numeric.median()).mean()


def test_preprocessor_is_fitted_on_the_training_rows_only() -> None:
    """The scaler's means are the train split's, not those of train + test."""
    frame = make_frame()
    recipe = make_recipe()
    train, test = holdout_split(frame, recipe, test_ratio=0.3, random_state=1)
    assert set(train[ROW_ID]).isdisjoint(test[ROW_ID])

    fitted = fit_pipeline(train, recipe, {"max_iter": 500})

    learnt = pd.Series(fitted.preprocessor.numeric_means_)
    assert sorted(learnt.index) == sorted(NUMERIC)  # no label, no excluded id
    expected = imputed_means(train)
    everything = imputed_means(frame)
    for column in NUMERIC:
        assert np.isclose(learnt[column], expected[column]), column
    assert any(
        not np.isclose(learnt[column], everything[column]) for column in NUMERIC
    ), "train and all-data means coincide: the check would not see a leak"


def test_tuner_fits_see_only_their_folds_training_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No CV fit sees a held-out test row, nor a row of its own validation fold."""
    frame = make_frame()
    recipe = make_recipe(
        hyperparameters={
            "C": {"type": "float", "low": 0.01, "high": 10.0, "log": True},
            "max_iter": 500,
        },
        n_trials=4,
    )
    train, test = holdout_split(frame, recipe, test_ratio=0.25, random_state=3)
    seen: list[frozenset[int]] = []
    original_fit = SimpleScaler.fit

    def recording_fit(self: SimpleScaler, X: pd.DataFrame, y: Any = None):  # noqa: N803
        seen.append(frozenset(X[ROW_ID].tolist()))
        return original_fit(self, X, y)

    monkeypatch.setattr(SimpleScaler, "fit", recording_fit)
    record = run_search(train, recipe, TRAINING, tuning_params(pruning=NO_PRUNING))

    folds = cv_folds(train, recipe, TRAINING.cv_folds, TRAINING.random_state)
    ids = train[ROW_ID].to_numpy()
    fold_sets = [
        (frozenset(ids[fit].tolist()), frozenset(ids[valid].tolist()))
        for fit, valid in folds
    ]
    test_ids = frozenset(test[ROW_ID].tolist())
    assert len(seen) == record["total_trials"] * len(folds) == 4 * 3
    for number, rows in enumerate(seen):
        fit_rows, valid_rows = fold_sets[number % len(folds)]
        assert rows.isdisjoint(test_ids), f"fit {number} saw held-out test rows"
        assert rows.isdisjoint(valid_rows), f"fit {number} saw its validation rows"
        assert rows == fit_rows, f"fit {number} is not its fold's training part"


def test_tuning_scores_differ_and_pruned_trials_are_counted() -> None:
    """Trials score differently, pruned ones are counted, the best one is reported."""
    recipe = make_recipe(
        class_path="sklearn.tree.DecisionTreeClassifier",
        hyperparameters={
            "max_depth": {"type": "int", "low": 1, "high": 12},
            "min_samples_leaf": {"type": "int", "low": 1, "high": 200},
            "random_state": 0,
        },
        n_trials=12,
    )
    train, _ = holdout_split(make_frame(), recipe, test_ratio=0.25, random_state=0)

    record = run_search(train, recipe, TRAINING, TUNING)

    history = record["optimization_history"]
    completed = [t["value"] for t in history if t["state"] == "COMPLETE"]
    pruned = [t for t in history if t["state"] == "PRUNED"]
    assert record["total_trials"] == len(history) == 12
    assert len(set(completed)) > 1, f"every trial scored the same: {completed}"
    assert record["pruned_trials"] == len(pruned) > 0
    assert record["completed_trials"] == len(completed)
    assert record["completed_trials"] + record["pruned_trials"] == 12
    assert all(len(t["intermediate_values"]) < 3 for t in pruned)
    assert record["direction"] == "maximize"
    assert record["best_score"] == pytest.approx(max(completed))
    best = next(t for t in history if t["number"] == record["best_trial"])
    assert best["state"] == "COMPLETE"
    assert record["best_params"] == {**best["params"], "random_state": 0}


def test_env_timeout_ends_the_search_early_with_the_best_completed_trial(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``timeout_seconds`` stops a 1000-trial search; the best finished trial wins."""
    recipe = make_recipe(
        class_path="sklearn.ensemble.RandomForestClassifier",
        hyperparameters={
            "n_estimators": {"type": "int", "low": 30, "high": 80},
            "max_depth": {"type": "int", "low": 2, "high": 8},
            "random_state": 0,
            "n_jobs": 1,
        },
        n_trials=1000,
    )
    train, _ = holdout_split(make_frame(), recipe, test_ratio=0.25, random_state=0)
    limits = tuning_params(timeout_seconds=1, pruning=NO_PRUNING)

    with caplog.at_level(logging.WARNING, logger="mmp_kedro"):
        record = run_search(train, recipe, TRAINING, limits)

    history = record["optimization_history"]
    completed = [t for t in history if t["state"] == "COMPLETE"]
    assert 1 <= record["total_trials"] < 1000
    assert completed
    assert record["best_score"] == pytest.approx(max(t["value"] for t in completed))
    best = next(t for t in completed if t["number"] == record["best_trial"])
    assert record["best_params"] == {**best["params"], "random_state": 0, "n_jobs": 1}
    # The user is told the timeout, not the recipe's n_trials, ended tuning.
    (warning,) = [
        r.getMessage() for r in caplog.records if r.name.startswith("mmp_kedro")
    ]
    assert warning.startswith(
        f"tuning.timeout_seconds=1 ended tuning after {record['total_trials']} of the "
        "recipe's 1000 trials"
    )


def test_tuning_that_finishes_no_trial_says_to_raise_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If every trial is pruned (none completes) the error names the timeout."""
    recipe = make_recipe(
        hyperparameters={"C": {"type": "float", "low": 0.1, "high": 1.0}},
        n_trials=2,
    )
    train, _ = holdout_split(make_frame(200), recipe, test_ratio=0.25, random_state=0)

    def always_pruned(*args: Any, **kwargs: Any):
        raise search.optuna.TrialPruned("test")

    monkeypatch.setattr(search, "fit_pipeline", always_pruned)
    with pytest.raises(RuntimeError, match="timeout"):
        run_search(train, recipe, TRAINING, TUNING)


def test_auuc_beats_the_shuffled_baseline_for_true_effect_scores() -> None:
    """Ranking by the true heterogeneous effect beats the same scores shuffled."""
    rng = np.random.default_rng(11)
    n = 6000
    x = rng.random(n)
    effect = np.where(x > 0.5, 0.35, -0.10)
    treatment = (rng.random(n) < 0.5).astype(int)
    base = 0.3
    outcome = (rng.random(n) < base + treatment * effect).astype(int)

    result = uplift_metrics(effect, outcome, treatment)

    assert result["auuc"] > result["auuc_shuffled_baseline"] + 0.02, result
    assert result["qini"] > result["qini_shuffled_baseline"], result
    assert result["ate"] == pytest.approx(effect.mean())
    assert result["ate_observed"] == pytest.approx(effect.mean(), abs=0.04)


def test_a_refused_hyperparameter_fails_its_trial_and_the_study_goes_on(caplog):
    """LogisticRegression refuses C <= 0: those trials fail with the reason, the
    others complete and the best of them wins."""
    recipe = make_recipe(
        hyperparameters={"C": {"type": "float", "low": -1.0, "high": 1.0}},
        n_trials=8,
    )
    train, _ = holdout_split(make_frame(200), recipe, test_ratio=0.25, random_state=0)
    with caplog.at_level(logging.WARNING, logger=search.__name__):
        record = run_search(train, recipe, TRAINING, tuning_params(pruning=NO_PRUNING))
    history = record["optimization_history"]
    failed = [t for t in history if t["state"] == "FAIL"]
    assert failed and len(failed) < len(history)
    assert all(t["params"]["C"] <= 0 for t in failed)
    assert all("C" in t["failure"] for t in failed), failed
    assert record["best_params"]["C"] > 0
    assert any("failed with {'C'" in r.getMessage() for r in caplog.records)


def test_when_every_trial_is_refused_the_error_names_the_parameter():
    recipe = make_recipe(
        hyperparameters={"C": {"type": "float", "low": -2.0, "high": -1.0}},
        n_trials=3,
    )
    train, _ = holdout_split(make_frame(200), recipe, test_ratio=0.25, random_state=0)
    with pytest.raises(ValueError) as raised:
        run_search(train, recipe, TRAINING, TUNING)
    message = str(raised.value)
    assert message.startswith(
        "every one of the 3 tuning trials failed; the first, with {'C'"
    )
    assert "model.hyperparameters ranges (['C'])" in message
