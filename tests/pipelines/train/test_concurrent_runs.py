"""Two `kedro run --pipelines train` at once in one project: neither reads the other's
intermediate files, both end FINISHED with an artifact of their own recipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest
import yaml
from project_helpers import (
    TEST_TRAINING,
    copy_project,
    mlflow_client,
    prepare_local_data,
    runs_of_recipe,
    start_kedro,
)

pytestmark = pytest.mark.e2e

RECIPES = {
    "conversion_classifier": "classification",
    "order_value_regression": "regression",
}


def _start_training(project: Path, recipe: str) -> subprocess.Popen:
    return start_kedro(project, "--pipelines", "train", "--params", f"recipe={recipe}")


PREDICT = """
import json, sys
import mlflow, pandas as pd
mlflow.set_tracking_uri(sys.argv[1])
events = pd.read_parquet(sys.argv[3]).head(20)
spine = events[["user_id", "product_id", "session_id", "event_timestamp"]]
if spine["event_timestamp"].dt.tz is not None:
    spine = spine.assign(event_timestamp=spine["event_timestamp"].dt.tz_convert(None))
out = mlflow.pyfunc.load_model(f"runs:/{sys.argv[2]}/model").predict(spine)
print(json.dumps({"rows": len(out), "columns": list(out.columns)}))
"""


def _predict_in_a_fresh_process(project: Path, run_id: str) -> dict:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            PREDICT,
            f"sqlite:///{project / 'mlruns.db'}",
            run_id,
            str(project / "data" / "01_raw" / "events.parquet"),
        ],
        env={**os.environ, "MMP_PROJECT_PATH": str(project), "KEDRO_ENV": "local"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_two_concurrent_training_runs_keep_their_own_intermediates(tmp_path):
    project = copy_project(tmp_path / "project")
    (project / "conf" / "local" / "parameters_training.yml").write_text(
        yaml.safe_dump(TEST_TRAINING)
    )
    prepare_local_data(project)
    for recipe in RECIPES:  # few trials: what matters is that the runs overlap
        path = project / "recipes" / f"{recipe}.yaml"
        spec = yaml.safe_load(path.read_text())
        spec["hyperparameter_tuning"]["n_trials"] = 4
        path.write_text(yaml.safe_dump(spec))
    # A project whose tracking store exists (any project after its first run): two
    # first-ever processes would both run MLflow's schema migration on one file.
    mlflow_client(project).search_experiments()

    processes = {recipe: _start_training(project, recipe) for recipe in RECIPES}
    outputs = {recipe: p.communicate(timeout=900)[0] for recipe, p in processes.items()}
    for recipe, process in processes.items():
        assert process.returncode == 0, f"{recipe}:\n{outputs[recipe][-4000:]}"

    mlflow.set_tracking_uri(f"sqlite:///{project / 'mlruns.db'}")
    for recipe, task_type in RECIPES.items():
        (run,) = runs_of_recipe(project, recipe)
        assert run.info.status == "FINISHED"
        snapshot = mlflow.artifacts.load_text(
            f"runs:/{run.info.run_id}/recipe_yaml_snapshot.yaml"
        )
        assert yaml.safe_load(snapshot) == yaml.safe_load(
            (project / "recipes" / f"{recipe}.yaml").read_text()
        )
        metadata = json.loads(
            mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/model_metadata.json")
        )
        assert metadata["task_type"] == task_type
        recipe_features = [
            name
            for group in yaml.safe_load(snapshot)["augmenter"]["features"]
            for name in group["features"]
        ]
        assert metadata["recipe_name"] == recipe
        assert set(metadata["feature_schema"]) >= set(recipe_features)
        predicted = _predict_in_a_fresh_process(project, run.info.run_id)
        assert predicted["rows"] == 20
        assert set(metadata["target_schema"]["prediction_columns"]) <= set(
            predicted["columns"]
        )
    client = mlflow_client(project)
    experiment = client.get_experiment_by_name("mmp-kedro")
    runs = client.search_runs([experiment.experiment_id])
    assert [r.info.status for r in runs] == ["FINISHED", "FINISHED"]
