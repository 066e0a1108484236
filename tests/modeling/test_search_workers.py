"""``run_search`` with ``tuning.workers: 2`` on the DEV Optuna database.

Two processes (this one and one forked worker) must join one PostgreSQL-backed
Optuna study: the trials come from two distinct ``worker_pid`` values, and a third
party loading the study from the database sees exactly the trials of the record.
The DEV stack must be up (``make test`` starts it and exports ``.env``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import numpy as np
import optuna
import pandas as pd
import pytest
import sqlalchemy as sa
from project_helpers import require_dev_stack

from mmp_kedro.config.training import TrainingParams, TuningParams
from mmp_kedro.modeling.search import run_search
from mmp_kedro.modeling.splits import RANDOM_SPLIT
from mmp_kedro.recipe.schema import Recipe

N_TRIALS = 8
TRAINING = TrainingParams(
    test_ratio=0.25, cv_folds=3, random_state=7, validation=RANDOM_SPLIT
)


@pytest.fixture(scope="module")
def optuna_storage() -> str:
    """The DEV Optuna database URL, from the stack's variables in the environment."""
    require_dev_stack(
        "POSTGRES_PASSWORD", "POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_USER"
    )
    return sa.URL.create(
        "postgresql+psycopg",
        username=os.environ["POSTGRES_USER"],
        password=os.environ["POSTGRES_PASSWORD"],
        host=os.environ["POSTGRES_HOST"],
        port=int(os.environ["POSTGRES_PORT"]),
        database=os.environ.get("OPTUNA_DB") or "optuna",
    ).render_as_string(hide_password=False)


@pytest.fixture
def study_name(optuna_storage: str) -> Iterator[str]:
    """A fresh study name; the study is deleted from the DEV database afterwards."""
    name = f"test-workers-{uuid.uuid4().hex[:12]}"
    yield name
    try:
        optuna.delete_study(study_name=name, storage=optuna_storage)
    except KeyError:
        pass


def make_recipe() -> Recipe:
    """Classification with a boosted-tree search space (each trial takes ~1 s)."""
    return Recipe.model_validate(
        {
            "model": {
                "class_path": "sklearn.ensemble.GradientBoostingClassifier",
                "hyperparameters": {
                    "n_estimators": {"type": "int", "low": 60, "high": 120},
                    "max_depth": {"type": "int", "low": 2, "high": 4},
                    "learning_rate": {
                        "type": "float",
                        "low": 0.03,
                        "high": 0.3,
                        "log": True,
                    },
                    "random_state": 0,
                },
            },
            "hyperparameter_tuning": {
                "enabled": True,
                "n_trials": N_TRIALS,
                "metric": "roc_auc",
            },
            "loader": {"source_uri": "recipes/sql/loaders/synthetic.sql"},
            "augmenter": {"type": "pass_through"},
            "preprocessor": {
                "name": "simple_scaler",
                "params": {"exclude_cols": ["row_id"], "criterion_col": None},
            },
            "data_interface": {"task_type": "classification", "target_col": "label"},
        }
    )


def make_frame(n: int = 1500, seed: int = 11) -> pd.DataFrame:
    """A small, learnable binary classification problem."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    logit = 1.2 * x[:, 0] - 0.8 * x[:, 1] + 0.5 * x[:, 2] * x[:, 3]
    label = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(5)])
    return frame.assign(row_id=np.arange(n), label=label)


def test_two_worker_processes_share_one_postgres_study(
    optuna_storage: str, study_name: str
) -> None:
    """Trials from two PIDs, >= n_trials in total, all in one study in the database."""
    tuning = TuningParams(
        engine="optuna",
        workers=2,
        study_name=study_name,
        timeout_seconds=120,
        n_jobs=1,
        pruning={"enabled": False, "algorithm": "MedianPruner"},
    )

    record = run_search(
        make_frame(), make_recipe(), TRAINING, tuning, storage=optuna_storage
    )

    history = record["optimization_history"]
    assert record["total_trials"] == len(history) >= N_TRIALS
    pids = {trial["worker_pid"] for trial in history}
    assert None not in pids, "a trial has no worker_pid"
    assert len(pids) == 2, f"trials came from {len(pids)} process(es): {pids}"
    assert os.getpid() in pids, "this process ran no trial"
    assert record["workers"] == len(pids)  # the record's count: the processes seen
    assert record["completed_trials"] == record["total_trials"]
    assert record["pruned_trials"] == 0

    # A third party: the study in the database under the configured name is the
    # record's, trial for trial (numbers, processes, values).
    assert study_name in optuna.get_all_study_names(storage=optuna_storage)
    stored = optuna.load_study(study_name=study_name, storage=optuna_storage)
    assert record["study_name"] == stored.study_name
    trials = stored.get_trials(deepcopy=False)
    assert sorted(t.number for t in trials) == sorted(t["number"] for t in history)
    assert {t.number: t.user_attrs.get("worker_pid") for t in trials} == {
        t["number"]: t["worker_pid"] for t in history
    }
    assert {t.number: t.value for t in trials} == pytest.approx(
        {t["number"]: t["value"] for t in history}
    )
    assert stored.best_value == pytest.approx(record["best_score"])
