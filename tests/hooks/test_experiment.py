"""``ExperimentHook``: the experiment of ``mlflow.yml`` exists before kedro-mlflow's
set-up looks for it, so two first runs at once do not both create it."""

from __future__ import annotations

import mlflow
from mlflow import MlflowClient

from mmp_kedro.hooks.experiment import ExperimentHook


def test_creates_the_configured_experiment_in_the_env_store(
    kedro_context, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # LOCAL's store, sqlite:///mlruns.db, is in the cwd
    ExperimentHook().after_context_created(kedro_context("local"))
    ExperimentHook().after_context_created(kedro_context("local"))

    client = MlflowClient(f"sqlite:///{tmp_path / 'mlruns.db'}")
    names = [e.name for e in client.search_experiments()]
    assert sorted(names) == ["Default", "mmp-kedro"]


def test_leaves_an_active_run_alone(kedro_context, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'other.db'}")
    with mlflow.start_run():
        ExperimentHook().after_context_created(kedro_context("local"))
    assert not (tmp_path / "mlruns.db").exists()
