"""A recipe's ``validation`` section on LOCAL, end to end: `kedro run --pipelines
train` with a temporal and a group split, for the classification and the causal
recipe, and what the run records about its splits in ``training_methodology.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from project_helpers import mlflow_client, run_kedro, runs_of_recipe

from mmp_kedro.config.loader import config_loader
from mmp_kedro.spine import SQLQueryRunner

pytestmark = pytest.mark.e2e


def train_with_validation(
    project: Path, recipe: str, validation: dict, n_trials: int = 2
) -> tuple[Any, dict]:
    """Train a copy of ``recipe`` with ``validation``: the MLflow run and its
    training methodology."""
    spec = yaml.safe_load((project / "recipes" / f"{recipe}.yaml").read_text())
    spec["validation"] = validation
    spec["hyperparameter_tuning"]["n_trials"] = n_trials
    name = f"{recipe}_{validation['split']}"
    (project / "recipes" / f"{name}.yaml").write_text(yaml.safe_dump(spec))
    result = run_kedro(project, "--pipelines", "train", "--params", f"recipe={name}")
    assert result.returncode == 0, result.stderr[-4000:]
    run = runs_of_recipe(project, name)[0]
    assert run.info.status == "FINISHED"
    assert run.data.params["recipe.validation.split"] == validation["split"]
    # A client of its own: the process-wide tracking URI is left alone (this runs
    # in a module fixture, before the per-test restore would put it back).
    path = mlflow_client(project).download_artifacts(
        run.info.run_id, "training_methodology.json", str(project)
    )
    return run, json.loads(Path(path).read_text())


RECIPES = ("conversion_classifier", "uplift_model_exp3")
#: The classifier's temporal run is calibrated too (a causal model has no
#: probabilities to calibrate).
TEMPORAL = {
    "conversion_classifier": {
        "split": "temporal",
        "calibration": {"method": "isotonic"},
    },
    "uplift_model_exp3": {"split": "temporal"},
}


@pytest.fixture(scope="module")
def temporal_runs(local_project):
    """recipe -> (run, methodology), each trained once, when a test first asks."""
    trained: dict[str, tuple[Any, dict]] = {}

    def of(recipe: str) -> tuple[Any, dict]:
        if recipe not in trained:
            trained[recipe] = train_with_validation(
                local_project, recipe, TEMPORAL[recipe]
            )
        return trained[recipe]

    return of


@pytest.mark.parametrize("recipe", RECIPES)
def test_a_temporal_split_tests_on_the_latest_rows(temporal_runs, recipe):
    _, methodology = temporal_runs(recipe)
    split = methodology["split"]
    assert split["strategy"] == "temporal"
    assert split["column"] == "event_timestamp"
    assert split["train"]["to"] < split["test"]["from"]
    assert len(split["folds"]) == 3
    for fold in split["folds"]:
        assert fold["train"]["to"] < fold["validation"]["from"]
        assert fold["validation"]["to"] <= split["train"]["to"]
    assert methodology["train_test_split_method"].startswith("temporal")


def test_a_calibrated_classifier_logs_its_calibration(local_project, temporal_runs):
    """Calibration metrics before and after, and the reliability diagram."""
    run, _ = temporal_runs("conversion_classifier")
    metrics = run.data.metrics
    for name in ("brier_score", "expected_calibration_error"):
        assert 0 <= metrics[name] <= 1
        assert 0 <= metrics[f"{name}_before_calibration"] <= 1
    plots = {
        Path(entry.path).name
        for entry in mlflow_client(local_project).list_artifacts(
            run.info.run_id, "plots"
        )
    }
    assert "reliability_diagram.png" in plots


@pytest.mark.parametrize("recipe", RECIPES)
def test_a_group_split_shares_no_user_between_train_and_test(local_project, recipe):
    _, methodology = train_with_validation(
        local_project, recipe, {"split": "group", "group_col": "user_id"}
    )
    split = methodology["split"]
    assert (split["strategy"], split["column"]) == ("group", "user_id")
    # Disjoint: the users of the two splits add up to the spine's users.
    window = config_loader(local_project, "local")["parameters"]
    runner = SQLQueryRunner(
        sa.create_engine("duckdb:///:memory:"),
        [],
        {"events": str(local_project / "data" / "01_raw" / "events.parquet")},
    )
    spec = yaml.safe_load((local_project / "recipes" / f"{recipe}.yaml").read_text())
    sql = (local_project / spec["loader"]["source_uri"]).read_text()
    spine = runner.query(
        sql, {"start_date": window["start_date"], "end_date": window["end_date"]}
    )
    assert split["train"]["rows"] + split["test"]["rows"] == len(spine)
    assert (
        split["train"]["groups"] + split["test"]["groups"] == spine["user_id"].nunique()
    )
    for fold in split["folds"]:
        assert (
            fold["train"]["groups"] + fold["validation"]["groups"]
            == split["train"]["groups"]
        )
