"""``kedro run`` through the project's ``cli.py``: a node failing after the first
one ends with its own error in a line or two, never kedro-mlflow's resume error; the
traceback is in ``logs/last_run_error.log``, or printed with ``--verbose``."""

from __future__ import annotations

import pytest
import yaml
from project_helpers import PROJECT_ROOT, mlflow_client, run_kedro, runs_of_recipe

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
