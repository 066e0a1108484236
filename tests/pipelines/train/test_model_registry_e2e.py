"""The model registry on LOCAL (the SQLite tracking store is the registry), end to end:
`kedro run --pipelines train` registers each FINISHED run, aliases move on evidence,
and `batch_inference` scores with the run a `models:/` URI names."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest
import yaml
from project_helpers import EXAMPLE_RECIPES, mlflow_client, run_kedro, runs_of_recipe

from mmp_kedro.artifact import registry

pytestmark = pytest.mark.e2e

#: A copy of conversion_classifier with fixed hyperparameters and no tuning: cheap
#: to train, and a stump is reliably worse than a forest on the same data.
RECIPE = "registry_lifecycle"
MODEL = f"mmp-{RECIPE}"
POOR = {"n_estimators": 1, "max_depth": 1, "learning_rate": 0.01, "n_jobs": 1}
GOOD = {"n_estimators": 150, "max_depth": 4, "learning_rate": 0.1, "n_jobs": 2}


def _versions_of(client: mlflow.MlflowClient, run_id: str) -> list:
    # A search leaves the aliases out: each version is read again for them.
    return [
        client.get_model_version(v.name, v.version)
        for v in client.search_model_versions(f"run_id = '{run_id}'")
    ]


@pytest.mark.parametrize("recipe", EXAMPLE_RECIPES)
def test_every_trained_run_is_a_version_of_its_recipes_model(
    local_project: Path, trained_runs: dict[str, str], recipe: str
) -> None:
    client = mlflow_client(local_project)
    (version,) = _versions_of(client, trained_runs[recipe])
    assert version.name == f"mmp-{recipe}"
    # Its aliases may have moved since: other tests train the same recipes.
    assert version.tags[registry.PROMOTED_TAG] in ("true", "false")
    assert version.tags[registry.RUN_ID_TAG] == trained_runs[recipe]
    assert (
        version.tags[registry.METRIC_TAG]
        in client.get_run(trained_runs[recipe]).data.metrics
    )
    log = (local_project / f"train_{recipe}.log").read_text()
    assert f"as version {version.version} of model 'mmp-{recipe}'" in log
    assert f"registered    models:/mmp-{recipe}/{version.version} (@" in log


def _train(project: Path, hyperparameters: dict) -> str:
    """Train the lifecycle recipe with ``hyperparameters``; its run id."""
    recipe = yaml.safe_load(
        (project / "recipes" / "conversion_classifier.yaml").read_text()
    )
    recipe["model"]["hyperparameters"] = hyperparameters
    recipe["hyperparameter_tuning"]["enabled"] = False
    (project / "recipes" / f"{RECIPE}.yaml").write_text(yaml.safe_dump(recipe))
    before = {r.info.run_id for r in runs_of_recipe(project, RECIPE)}
    result = run_kedro(project, "--pipelines", "train", "--params", f"recipe={RECIPE}")
    assert result.returncode == 0, result.stderr[-4000:]
    (run,) = [r for r in runs_of_recipe(project, RECIPE) if r.info.run_id not in before]
    return run.info.run_id


def test_champion_moves_only_on_evidence_and_batch_inference_serves_it(
    local_project: Path, trained_runs: dict[str, str]
) -> None:
    client = mlflow_client(local_project)
    first = _train(local_project, POOR)
    (v1,) = _versions_of(client, first)
    assert sorted(v1.aliases) == [registry.CHALLENGER, registry.CHAMPION]
    assert v1.tags[registry.VERDICT_TAG] == "no_champion"

    better = _train(local_project, GOOD)
    (v2,) = _versions_of(client, better)
    assert sorted(v2.aliases) == [registry.CHALLENGER, registry.CHAMPION]
    assert v2.tags[registry.VERDICT_TAG] == "improved"
    assert v2.tags[registry.CHAMPION_RUN_ID_TAG] == first

    worse = _train(local_project, POOR)
    (v3,) = _versions_of(client, worse)
    assert v3.aliases == [registry.CHALLENGER]
    assert v3.tags[registry.VERDICT_TAG] == "degraded"
    assert v3.tags[registry.PROMOTED_TAG] == "false"
    assert v3.tags[registry.RUN_ID_TAG] == worse
    assert v3.tags[registry.CHAMPION_RUN_ID_TAG] == better
    assert client.get_registered_model(MODEL).aliases == {
        registry.CHAMPION: int(v2.version),
        registry.CHALLENGER: int(v3.version),
    }

    output = local_project / "data" / "07_model_output" / "batch_predictions.parquet"
    output.unlink(missing_ok=True)
    result = run_kedro(
        local_project,
        "--pipelines",
        "batch_inference",
        "--params",
        f"model_uri=models:/{MODEL}@champion",
    )
    assert result.returncode == 0, result.stderr[-4000:]
    log = result.stdout + result.stderr
    assert f"models:/{MODEL}@champion is version {v2.version} of '{MODEL}'" in log
    assert f"run {better}" in log
    assert set(pd.read_parquet(output)["model_run_id"]) == {better}
