"""``python -m mmp_kedro.check --env <env>``: is this machine ready to run the env?

The command runs in a subprocess against the real DEV stack (``make test`` starts it
and exports ``.env``), with one setting broken per test: it must exit 1, name what
is wrong and how to fix it, and never print a password.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from project_helpers import PROJECT_ROOT, copy_project, free_port

from mmp_kedro.services.environment_check import (
    check_env_vars,
    check_packages,
    scan_env_vars,
)

WRONG_PASSWORD = "not-the-dev-password-0xC0FFEE"
STACK_FIX = "infra/dev-stack up"
ENV_FIX = "set -a; . ./.env; set +a"
ROW = re.compile(r"^\s*(ok|missing|wrong|down|warn)\s+(\S.*?)\s{2,}", re.MULTILINE)
SERVICES = ("PostgreSQL", "Redis", "MLflow")
DEV_REQUIRED = sorted(
    name for name, required in scan_env_vars(PROJECT_ROOT, "dev").items() if required
)


def run_check(
    env: str, environ: dict[str, str], project: Path = PROJECT_ROOT
) -> tuple[int, str]:
    """The command's exit code and its stdout + stderr."""
    result = subprocess.run(
        [sys.executable, "-m", "mmp_kedro.check", "--env", env]
        + ["--project-path", str(project)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def statuses(output: str) -> dict[str, str]:
    """``{check name: status}`` from the report's rows."""
    return {name: status for status, name in ROW.findall(output)}


def service_statuses(output: str) -> dict[str, str]:
    return {
        name: status
        for name, status in statuses(output).items()
        if name.startswith(SERVICES)
    }


def without_stack_variables() -> dict[str, str]:
    """This process's environment minus every variable DEV's or PROD's conf reads."""
    names = {*scan_env_vars(PROJECT_ROOT, "dev"), *scan_env_vars(PROJECT_ROOT, "prod")}
    return {key: value for key, value in os.environ.items() if key not in names}


def test_dev_all_good(stack_env: dict[str, str]) -> None:
    code, output = run_check("dev", stack_env)

    assert code == 0, output
    services = service_statuses(output)
    assert {name.split()[0] for name in services} == set(SERVICES), output
    assert set(services.values()) == {"ok"}, output
    assert stack_env["POSTGRES_PASSWORD"] not in output


def test_dev_scan_finds_the_required_variables() -> None:
    """POSTGRES_PASSWORD has no default in conf/dev; MLFLOW_TRACKING_URI has one."""
    variables = scan_env_vars(PROJECT_ROOT, "dev")
    assert DEV_REQUIRED and "POSTGRES_PASSWORD" in DEV_REQUIRED
    assert variables["MLFLOW_TRACKING_URI"] is False


@pytest.mark.parametrize("variable", DEV_REQUIRED)
def test_dev_missing_required_variable(
    variable: str, stack_env: dict[str, str]
) -> None:
    environ = {k: v for k, v in stack_env.items() if k != variable}

    code, output = run_check("dev", environ)

    assert code == 1, output
    assert statuses(output)[f"env {variable}"] == "missing", output
    assert f"set {variable} (see .env.example)" in output and ENV_FIX in output
    assert f"skipped: missing {variable}" in output
    assert stack_env["POSTGRES_PASSWORD"] not in output


def test_dev_optional_variable_unset_uses_the_default(
    stack_env: dict[str, str],
) -> None:
    """conf/dev/mlflow.yml defaults MLFLOW_TRACKING_URI to the stack's address."""
    environ = {k: v for k, v in stack_env.items() if k != "MLFLOW_TRACKING_URI"}

    code, output = run_check("dev", environ)

    assert code == 0, output
    assert "not set, default used" in output
    assert statuses(output)["MLflow tracking server"] == "ok"


def _point_at_a_dead_port(variable: str) -> str:
    port = free_port()
    return (
        f"http://127.0.0.1:{port}" if variable == "MLFLOW_TRACKING_URI" else str(port)
    )


@pytest.mark.parametrize(
    ("variable", "service"),
    [
        ("POSTGRES_PORT", "PostgreSQL"),
        ("REDIS_PORT", "Redis"),
        ("MLFLOW_TRACKING_URI", "MLflow"),
    ],
)
def test_dev_service_down(
    variable: str, service: str, stack_env: dict[str, str]
) -> None:
    environ = {**stack_env, variable: _point_at_a_dead_port(variable)}

    code, output = run_check("dev", environ)

    assert code == 1, output
    down = [
        name for name, status in service_statuses(output).items() if status == "down"
    ]
    assert down and all(name.startswith(service) for name in down), output
    assert STACK_FIX in output
    assert stack_env["POSTGRES_PASSWORD"] not in output


def test_dev_wrong_postgres_password(stack_env: dict[str, str]) -> None:
    code, output = run_check("dev", {**stack_env, "POSTGRES_PASSWORD": WRONG_PASSWORD})

    assert code == 1, output
    down = [
        name for name, status in service_statuses(output).items() if status == "down"
    ]
    assert down and all(name.startswith("PostgreSQL") for name in down), output
    assert "check POSTGRES_USER and POSTGRES_PASSWORD" in output
    assert WRONG_PASSWORD not in output
    assert stack_env["POSTGRES_PASSWORD"] not in output


def test_local_without_data_says_make_data(tmp_path: Path) -> None:
    project = copy_project(tmp_path)

    code, output = run_check("local", without_stack_variables(), project)

    assert code == 1, output
    assert statuses(output)["data/feast/registry.db"] == "missing", output
    assert statuses(output)["data/01_raw/events.parquet"] == "missing", output
    assert "run `make data`" in output


def test_local_with_data_needs_no_variables(local_project: Path) -> None:
    code, output = run_check("local", without_stack_variables(), project=local_project)

    assert code == 0, output
    assert statuses(output)["env vars"] == "ok"
    assert "none needed by conf/base, conf/local" in output
    assert "embedded" in output


def test_local_notices_a_truncated_parquet_file(
    local_project: Path, tmp_path: Path
) -> None:
    project = copy_project(tmp_path / "project")
    shutil.copytree(local_project / "data", project / "data", dirs_exist_ok=True)
    events = project / "data" / "01_raw" / "events.parquet"
    events.write_bytes(events.read_bytes()[:1000])

    code, output = run_check("local", without_stack_variables(), project)

    assert code == 1, output
    assert statuses(output)["data/01_raw/events.parquet"] == "wrong", output
    assert "not a whole parquet file" in output
    assert "run `make data`" in output


def test_scan_env_vars_tells_required_from_defaulted(tmp_path: Path) -> None:
    (tmp_path / "conf" / "base").mkdir(parents=True)
    (tmp_path / "conf" / "dev").mkdir()
    (tmp_path / "conf" / "base" / "credentials.yml").write_text(
        "db:\n"
        "  con: \"pg://${oc.env:USER_NAME,me}:${oc.env:SECRET}@${oc.env:HOST,''}\"\n"
        "# ${oc.env:IN_A_COMMENT}\n"
    )
    (tmp_path / "conf" / "dev" / "mlflow.yml").write_text(
        "server:\n  mlflow_tracking_uri: ${oc.env:TRACKING_URI, http://x:1}\n"
        "other: ${oc.env:HOST}\n"
    )
    (tmp_path / "conf" / "dev" / "spark.yml").write_text("a: ${oc.env:NOT_SCANNED}\n")

    assert scan_env_vars(tmp_path, "dev") == {
        "USER_NAME": False,
        "SECRET": True,
        "HOST": True,  # required in mlflow.yml wins over the default elsewhere
        "TRACKING_URI": False,
    }
    results = {
        result.name: result
        for result in check_env_vars(tmp_path, "dev", {"SECRET": "hunter2"})
    }
    assert results["env SECRET"].status == "ok"
    assert results["env HOST"].status == "missing" and not results["env HOST"].passed
    assert results["env USER_NAME"].detail == "not set, default used"
    assert all("hunter2" not in f"{r.detail} {r.fix}" for r in results.values())


def test_check_packages_names_a_version_mismatch() -> None:
    from importlib.metadata import version

    (pandas,) = check_packages(["pandas<0.1"])
    assert not pandas.passed and pandas.status == "wrong"
    assert "pandas" in pandas.name and version("pandas") in pandas.detail
    assert pandas.fix == "run `make install`"

    missing, ok = check_packages(
        ["no-such-package-mmp>=1", "pytest>=8; extra == 'dev'", "pandas>=2"]
    )
    assert missing.status == "missing" and "no-such-package-mmp" in missing.name
    assert ok.status == "ok"
