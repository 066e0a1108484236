"""A real `kedro run --pipelines train` stopped by SIGINT or SIGTERM after its first
trial ends KILLED with the reason as a tag, and no consumer takes that run."""

from __future__ import annotations

import re
import signal
import subprocess
import threading
from pathlib import Path

import pytest
import yaml
from project_helpers import (
    PROJECT_ROOT,
    mlflow_client,
    run_kedro,
    runs_of_recipe,
    start_kedro,
)

pytestmark = pytest.mark.e2e

FIRST_TRIAL = re.compile(r"trial 1/\d+ (complete|pruned)")


def _train_until_first_trial(project: Path, recipe: str) -> subprocess.Popen:
    process = start_kedro(
        project, "--pipelines", "train", "--params", f"recipe={recipe}"
    )
    watchdog = threading.Timer(600, process.kill)
    watchdog.start()
    try:
        seen = []
        for line in process.stdout:
            seen.append(line)
            if FIRST_TRIAL.search(line):
                return process
        pytest.fail("the run ended before its first trial:\n" + "".join(seen[-60:]))
    finally:
        watchdog.cancel()


@pytest.fixture
def long_tuning_recipe(write_recipe) -> str:
    recipe = yaml.safe_load(
        (PROJECT_ROOT / "recipes" / "conversion_classifier.yaml").read_text()
    )
    recipe["hyperparameter_tuning"]["n_trials"] = 5000
    return write_recipe("interrupted_classifier", recipe)


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"]
)
def test_an_interrupted_run_ends_killed_and_no_consumer_takes_it(
    local_project, long_tuning_recipe, signum
):
    before = {r.info.run_id for r in runs_of_recipe(local_project, long_tuning_recipe)}
    process = _train_until_first_trial(local_project, long_tuning_recipe)
    process.send_signal(signum)
    output = process.communicate(timeout=300)[0]
    assert process.returncode != 0

    (run,) = [
        r
        for r in runs_of_recipe(local_project, long_tuning_recipe)
        if r.info.run_id not in before
    ]
    run = mlflow_client(local_project).get_run(run.info.run_id)
    assert run.info.status == "KILLED", output[-3000:]
    reason = run.data.tags["mmp.end_reason"]
    assert reason.startswith(
        f"interrupted by {signal.Signals(signum).name} during node"
    )
    assert "tune" in reason

    # The refusal does not depend on the signal: checked once, for Ctrl-C.
    consumers = ("batch_inference", "evaluate") if signum == signal.SIGINT else ()
    for pipeline in consumers:
        result = run_kedro(
            local_project,
            "--pipelines",
            pipeline,
            "--params",
            f"run_id={run.info.run_id}",
            timeout=300,
        )
        assert result.returncode != 0
        assert (
            f"run '{run.info.run_id}' is KILLED ({reason}), not FINISHED"
            in result.stdout + result.stderr
        ), (result.stdout + result.stderr)[-3000:]
