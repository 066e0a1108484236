"""``python -m serving``: a start-up mistake is one ``error:`` line and exit 2.

Each case fails before any server is contacted, so no DEV stack is needed; the
command runs as a user types it, in a subprocess. A case's arguments get
``--run-id`` unless its environment changes say what ``MMP_RUN_ID`` is.
"""

from __future__ import annotations

import os

import pytest
from project_helpers import run_serving

RUN_ID = "0" * 32
WITHOUT = object()  # marks a variable removed from the environment

CASES = {
    "unknown env": (
        ["--env", "dve"],
        {},
        ["error: env 'dve' has no conf/dve/", "['dev', 'local', 'prod']"],
    ),
    "DEV without its database password": (
        ["--env", "dev"],
        {"POSTGRES_PASSWORD": WITHOUT},
        [
            "error: credentials.yml of env 'dev'",
            "Environment variable 'POSTGRES_PASSWORD' not found",
            "infra/dev-stack up",
        ],
    ),
    "PROD without its variables": (
        ["--env", "prod"],
        {name: WITHOUT for name in ("GCP_PROJECT", "MLFLOW_TRACKING_URI")},
        ["error: credentials.yml of env 'prod'", "Environment variable '"],
    ),
    "workers not a number": (
        ["--env", "dev"],
        {"MMP_WORKERS": "two"},
        ["error: MMP_WORKERS must be a whole number, got 'two'"],
    ),
    "port not a number": (
        ["--env", "dev"],
        {"MMP_PORT": "80a"},
        ["error: MMP_PORT must be a whole number, got '80a'"],
    ),
    "no run id": (
        ["--env", "dev"],
        {"MMP_RUN_ID": WITHOUT},
        [
            "error: --run-id (or MMP_RUN_ID) is required: "
            "the MLflow run id of a trained model; or --model-uri (MMP_MODEL_URI)"
        ],
    ),
    "run id and model uri": (
        ["--env", "dev", "--run-id", RUN_ID, "--model-uri", "models:/m@champion"],
        {"MMP_RUN_ID": WITHOUT},
        ["error: --run-id and --model-uri are both set: pass one"],
    ),
    "run id and model uri in the variables": (
        ["--env", "dev"],
        {"MMP_RUN_ID": RUN_ID, "MMP_MODEL_URI": "models:/m@champion"},
        ["error: MMP_RUN_ID and MMP_MODEL_URI are both set: pass one"],
    ),
    "model uri that is no registered version": (
        ["--env", "dev", "--model-uri", "runs:/abc/model"],
        {"MMP_RUN_ID": WITHOUT},
        [
            "error: --model-uri (MMP_MODEL_URI): 'runs:/abc/model' is not a "
            "registered model's URI: use models:/<name>@<alias> or "
            "models:/<name>/<version>"
        ],
    ),
    "model uri on LOCAL": (
        ["--env", "local", "--model-uri", "models:/m@champion"],
        {"MMP_RUN_ID": WITHOUT},
        ["error: API serving is disabled in the 'local' env"],
    ),
    "no workers": (
        ["--env", "dev", "--workers", "0"],
        {},
        ["error: --workers (or MMP_WORKERS) must be at least 1"],
    ),
    "no workers in the variable": (
        ["--env", "dev"],
        {"MMP_WORKERS": "0"},
        ["error: --workers (or MMP_WORKERS) must be at least 1"],
    ),
    "a negative drain time": (
        ["--env", "dev", "--graceful-seconds", "-5"],
        {},
        ["error: --graceful-seconds (or MMP_GRACEFUL_SECONDS) must be 0 or more"],
    ),
}


@pytest.mark.parametrize(("args", "changes", "expected"), CASES.values(), ids=CASES)
def test_start_up_mistake_is_one_error_line(args, changes, expected):
    env = {k: v for k, v in os.environ.items() if changes.get(k) is not WITHOUT}
    env.update({k: v for k, v in changes.items() if v is not WITHOUT})
    run_id = [] if "MMP_RUN_ID" in changes else ["--run-id", RUN_ID]
    result = run_serving(*args, *run_id, env=env)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if "error: " in line]
    assert len(errors) == 1, result.stderr[-2000:]
    for fragment in expected:
        assert fragment in errors[0], result.stderr[-2000:]


def test_the_deprecated_env_variable_still_picks_the_env_with_a_warning():
    env = {k: v for k, v in os.environ.items() if k != "KEDRO_ENV"}
    result = run_serving("--run-id", RUN_ID, env={**env, "MMP_ENV": "dve"})
    assert result.returncode == 2, result.stderr[-2000:]
    assert "MMP_ENV is deprecated" in result.stderr and "set KEDRO_ENV" in result.stderr
    assert "error: env 'dve' has no conf/dve/" in result.stderr
