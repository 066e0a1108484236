"""``infra/dev-stack`` in a clone the ``postgres`` system user cannot enter (a clone
under a mode-700 home, as under ``/root``): ``up`` puts its state where that user can
reach it and says where, ``down`` finds it again; a ``DEV_STACK_STATE`` it cannot
reach is refused at once, naming the variable.

A second stack on free ports, so the suite's own stack is left alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from project_helpers import PROJECT_ROOT, free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0, reason="the state move is for root's clones"),
]


def private_clone(tmp_path: Path) -> Path:
    """The project's tracked files in ``<tmp>/home/clone``, ``home`` mode 700."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    clone = home / "clone"
    tracked = subprocess.run(
        ["git", "ls-files", "-z"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, tracked):
        source = PROJECT_ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    return clone


def stack_env(clone: Path) -> dict[str, str]:
    """``.env.example`` on free ports as the clone's ``.env``, and the environment to
    run the script with (none of the suite's own stack settings)."""
    settings = dict(
        line.split("=", 1)
        for line in (PROJECT_ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#") and "=" in line
    )
    for name in ("POSTGRES_PORT", "REDIS_PORT", "MLFLOW_PORT"):
        settings[name] = str(free_port())
    settings["MLFLOW_TRACKING_URI"] = f"http://127.0.0.1:{settings['MLFLOW_PORT']}"
    settings["DEV_SAMPLE_EVENTS"] = "300"
    (clone / ".env").write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("POSTGRES_", "REDIS_", "MLFLOW_", "DEV_STACK_"))
    }
    return {**env, "VENV": str(Path(sys.executable).parents[1])}


def dev_stack(
    clone: Path, env: dict[str, str], *command: str
) -> subprocess.CompletedProcess:
    """``infra/dev-stack <command...>`` in ``clone`` with exactly ``env``."""
    return subprocess.run(
        [str(clone / "infra" / "dev-stack"), *command],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_up_in_a_private_clone_keeps_its_state_where_postgres_can_reach_it(
    tmp_path: Path,
) -> None:
    clone = private_clone(tmp_path)
    env = stack_env(clone)
    port = next(
        line.split("=", 1)[1]
        for line in (clone / ".env").read_text().splitlines()
        if line.startswith("POSTGRES_PORT=")
    )
    state: Path | None = None
    try:
        # PostgreSQL is the service run as another user: the others would only cost
        # the suite time (seeding, MLflow's schema migrations).
        up = dev_stack(clone, env, "up", "postgres")
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-3000:]
        (line,) = [x for x in up.stdout.splitlines() if "state in " in x]
        state = Path(line.split("state in ", 1)[1].split(" ", 1)[0])
        assert str(state).startswith("/var/tmp/mmp-dev-stack-")
        assert f"cannot enter {clone}" in line
        assert (state / "postgres" / "PG_VERSION").is_file()
        assert not (clone / "infra" / ".state").exists()

        status = dev_stack(clone, env, "status")
        assert f"PostgreSQL 127.0.0.1:{port}: up" in status.stdout, status.stdout

        down = dev_stack(clone, env, "down")
        assert down.returncode == 0, down.stderr
        assert "PostgreSQL stopped" in down.stdout
        assert not (state / "postgres" / "postmaster.pid").exists()
        after = dev_stack(clone, env, "status")
        assert f"PostgreSQL 127.0.0.1:{port}: DOWN" in after.stdout, after.stdout
    finally:
        dev_stack(clone, env, "down")
        if state is not None:
            shutil.rmtree(state, ignore_errors=True)


def test_a_state_directory_postgres_cannot_enter_is_refused_naming_the_variable(
    tmp_path: Path,
) -> None:
    clone = private_clone(tmp_path)
    env = {**stack_env(clone), "DEV_STACK_STATE": str(tmp_path / "home" / "state")}

    up = dev_stack(clone, env, "up", "postgres")

    assert up.returncode != 0
    assert f"DEV_STACK_STATE={tmp_path / 'home' / 'state'}" in up.stderr
    assert "postgres system user cannot enter it" in up.stderr
    assert not (tmp_path / "home" / "state" / "postgres").exists()
