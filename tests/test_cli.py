"""The project's ``cli.py``. ``kedro run``: a node failing after the first one ends
with its own error in a line or two, never kedro-mlflow's resume error; the
traceback is in ``logs/last_run_error.log``, or printed with ``--verbose``.
``kedro mmp``: a new recipe trains as written; validate says what a run would."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner
from project_helpers import (
    PROJECT_ROOT,
    kedro,
    mlflow_client,
    run_kedro,
    runs_of_recipe,
)

from mmp_kedro.cli import TRACEBACK_FILE, cli

pytestmark = pytest.mark.e2e

CONSTANT_TARGET_SQL = """\
SELECT e.user_id, e.product_id, e.session_id, e.event_timestamp, 0 AS converted
FROM events AS e
WHERE e.event_timestamp >= CAST(:start_date AS TIMESTAMP)
  AND e.event_timestamp < CAST(:end_date AS TIMESTAMP)
"""


@pytest.fixture
def constant_target_recipe(local_project, write_recipe) -> str:
    (local_project / "recipes" / "sql" / "loaders" / "constant_target.sql").write_text(
        CONSTANT_TARGET_SQL
    )
    recipe = yaml.safe_load(
        (PROJECT_ROOT / "recipes" / "conversion_classifier.yaml").read_text()
    )
    recipe["loader"]["source_uri"] = "recipes/sql/loaders/constant_target.sql"
    return write_recipe("constant_target", recipe)


def test_the_project_run_command_is_kedros_with_verbose():
    command = cli.commands["run"]
    names = {p.name for p in command.params}
    assert {"pipeline", "env", "params", "runner", "from_nodes", "verbose"} <= names


@pytest.mark.parametrize("verbose", [False, True])
def test_plugin_import_warnings_are_shown_only_when_verbose(
    local_project, monkeypatch, verbose
):
    # kedro-mlflow and kedro-viz warn as Kedro imports them, before any project code
    if verbose:
        monkeypatch.setenv("MMP_VERBOSE", "1")
    result = run_kedro(local_project, "--help")
    assert result.returncode == 0, result.stderr[-2000:]
    shown = {
        text
        for text in ("Add type hints to the `predict` method", "'BaseCommand'")
        if text in result.stderr
    }
    assert bool(shown) is verbose, result.stderr[-2000:]


def test_a_late_node_failure_ends_with_the_real_error(
    local_project, constant_target_recipe
):
    result = run_kedro(
        local_project,
        "--pipelines",
        "train",
        "--params",
        f"recipe={constant_target_recipe}",
    )
    assert result.returncode == 1
    output = result.stdout + result.stderr
    last = [line for line in result.stderr.splitlines() if line.strip()][-2:]
    assert last[0].startswith(
        "Run failed in node 'tune.split_train_test': TrainingDataError: "
    ), output[-3000:]
    assert "converted" in last[0]
    assert "last_run_error.log" in last[1] and "--verbose" in last[1]
    assert "KedroMlflowPipelineMLError" not in output
    assert "BEWARE" not in output
    assert "Traceback" not in output

    saved = (local_project / TRACEBACK_FILE).read_text()
    assert "Traceback" in saved and "split_train_test" in saved

    (run,) = runs_of_recipe(local_project, constant_target_recipe)
    run = mlflow_client(local_project).get_run(run.info.run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["mmp.end_reason"].startswith(
        "node 'tune.split_train_test' failed: TrainingDataError:"
    )


def test_verbose_prints_the_traceback(local_project):
    result = run_kedro(
        local_project,
        "--pipelines",
        "train",
        "--params",
        "recipe=no_such_recipe",
        "--verbose",
    )
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "Traceback" in output and "recipe 'no_such_recipe' not found" in output
    assert "Run failed" not in output


def test_a_new_recipe_validates_and_trains_on_local_as_written(local_project):
    created = kedro(
        local_project, "mmp", "new-recipe", "first_try", "--task", "classification"
    )
    assert created.returncode == 0, created.stderr[-2000:]
    assert created.stdout.splitlines()[:2] == [
        "wrote recipes/first_try.yaml",
        "wrote recipes/sql/loaders/first_try.sql",
    ]
    again = kedro(
        local_project, "mmp", "new-recipe", "first_try", "--task", "regression"
    )
    assert again.returncode != 0 and "already there" in again.stderr
    assert (
        "classification" in (local_project / "recipes" / "first_try.yaml").read_text()
    )

    validated = kedro(local_project, "mmp", "validate", "first_try", "--data")
    assert validated.returncode == 0, validated.stderr[-2000:]
    (line,) = validated.stdout.splitlines()
    assert line.startswith("recipes/first_try.yaml is valid in env 'local': ")
    assert "loader SQL returned 100 rows" in line

    trained = run_kedro(
        local_project, "--pipelines", "train", "--params", "recipe=first_try"
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    (run,) = runs_of_recipe(local_project, "first_try")
    assert (
        mlflow_client(local_project).get_run(run.info.run_id).info.status == "FINISHED"
    )


def test_validate_refuses_with_the_message_of_a_training_run(
    local_project, write_recipe
):
    recipe = yaml.safe_load(
        (PROJECT_ROOT / "recipes" / "conversion_classifier.yaml").read_text()
    )
    recipe["augmenter"]["features"][0]["feature_namespace"] = "no_such_view"
    write_recipe("unknown_view", recipe)

    validated = kedro(local_project, "mmp", "validate", "unknown_view")
    trained = run_kedro(
        local_project, "--pipelines", "train", "--params", "recipe=unknown_view"
    )

    assert validated.returncode == 1 and trained.returncode == 1
    said = validated.stderr.strip().splitlines()[0]
    assert said.startswith("recipe 'unknown_view' is not valid in env 'local': ")
    run_said = next(
        ln for ln in trained.stderr.splitlines() if ln.startswith("Run failed")
    )
    assert said.split(": ", 1)[1] == run_said.split(": ", 1)[1]
    assert "'no_such_view' is not a feature view" in said
    assert runs_of_recipe(local_project, "unknown_view") == []  # no run was opened


def test_validate_data_names_a_column_of_the_wrong_type(local_project, write_recipe):
    loaders = local_project / "recipes" / "sql" / "loaders"
    sql = (loaders / "order_value_spine.sql").read_text()
    (loaders / "text_value.sql").write_text(
        sql.replace("e.order_value", "CAST(e.order_value AS VARCHAR) AS order_value")
    )
    recipe = yaml.safe_load(
        (PROJECT_ROOT / "recipes" / "order_value_regression.yaml").read_text()
    )
    recipe["loader"]["source_uri"] = "recipes/sql/loaders/text_value.sql"
    write_recipe("text_value", recipe)

    without_data = kedro(local_project, "mmp", "validate", "text_value")
    with_data = kedro(local_project, "mmp", "validate", "text_value", "--data")

    assert without_data.returncode == 0, without_data.stderr[-2000:]
    assert with_data.returncode == 1
    assert (
        "data_interface.target_col 'order_value' is object, expected a number"
        in with_data.stderr
    ), with_data.stderr[-2000:]


def test_list_shows_what_a_recipe_can_use(local_project, monkeypatch):
    # In process: listing opens no Kedro session, and a `kedro` start costs ~20 s.
    monkeypatch.chdir(local_project)
    runner = CliRunner()
    listed = {
        what: runner.invoke(cli, ["mmp", "list", what])
        for what in ("models", "metrics", "envs", "recipes")
    }
    assert all(r.exit_code == 0 for r in listed.values()), listed
    assert "sklearn.cluster.KMeans" in listed["models"].output
    assert (
        "causal: auuc (maximize, default), qini (maximize)" in listed["metrics"].output
    )
    envs = listed["envs"].output
    assert "local (default): overrides catalog.yml [spine_loader" in envs
    assert "dev: overrides" in envs and "prod: overrides" in envs
    assert (
        "conversion_classifier: classification, xgboost.XGBClassifier"
        in listed["recipes"].output
    )
