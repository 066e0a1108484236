"""``conf/base/mlflow.yml`` is the whole kedro-mlflow config; an env's file names only
its tracking server and is merged into it key by key."""

from __future__ import annotations

import pytest
from kedro.framework.project import find_pipelines
from kedro.framework.startup import bootstrap_project
from project_helpers import PROJECT_ROOT

from mmp_kedro.config.loader import config_loader


def mlflow_conf(env: str):
    return config_loader(PROJECT_ROOT, env)["mlflow"]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_an_env_changes_only_the_tracking_server(env, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking.example:5000")
    base, merged = mlflow_conf("local"), mlflow_conf(env)
    assert merged["server"]["mlflow_tracking_uri"] == "http://tracking.example:5000"
    assert {
        k: v for k, v in merged["server"].items() if k != "mlflow_tracking_uri"
    } == {k: v for k, v in base["server"].items() if k != "mlflow_tracking_uri"}
    assert {k: v for k, v in merged.items() if k != "server"} == {
        k: v for k, v in base.items() if k != "server"
    }
    own = (PROJECT_ROOT / "conf" / env / "mlflow.yml").read_text()
    assert "tracking:" not in own and "ui:" not in own


def test_only_train_opens_an_mlflow_run():
    bootstrap_project(PROJECT_ROOT)
    untracked = set(mlflow_conf("local")["tracking"]["disable_tracking"]["pipelines"])
    registered = set(find_pipelines()) - {"__default__"}
    assert registered - untracked == {"train"}
