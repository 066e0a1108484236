"""DEV vs LOCAL train wall time on the same recipe, and DEV stack start-up from cold.

    make dev-up && set -a && . ./.env && set +a
    .venv/bin/python benchmarks/dev_vs_local_train.py [--events 10000] [--skip-cold-start]

1. In one run, times `kedro run --pipelines train --params recipe=uplift_model_exp3`
   on LOCAL (DuckDB + embedded Feast + SQLite MLflow, 10k sample rows) and with
   `--env dev` (PostgreSQL + Feast on PostgreSQL/Redis + the MLflow server, seeded
   with the same 10k rows by `infra/dev-stack up`), and prints the ratio.
2. Starts a second, throw-away stack from nothing (its own state dir and ports) with
   `infra/dev-stack up`, times it, and stops it with `infra/dev-stack down`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "infra")]
from project_helpers import copy_project, prepare_local_data, run_kedro  # noqa: E402

RECIPE = "uplift_model_exp3"


def timed_train(project: Path, *env_args: str) -> float:
    started = time.perf_counter()
    result = run_kedro(
        project, *env_args, "--pipelines", "train", "--params", f"recipe={RECIPE}"
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"train {env_args or 'local'} failed:\n{result.stderr[-3000:]}")
    return elapsed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cold_stack_up(events: int) -> float:
    """`infra/dev-stack up` on a fresh state dir and fresh ports; always torn down."""
    state = Path(tempfile.mkdtemp(prefix="mmp-cold-stack-"))
    os.chmod(state, 0o755)
    env_file = state / "bench.env"
    text = (ROOT / ".env.example").read_text()
    ports = {
        "POSTGRES_PORT": free_port(),
        "REDIS_PORT": free_port(),
        "MLFLOW_PORT": free_port(),
    }
    overrides = {
        **{key: str(port) for key, port in ports.items()},
        "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{ports['MLFLOW_PORT']}",
        "DEV_SAMPLE_EVENTS": str(events),
    }
    lines = []
    for line in text.splitlines():
        key = line.split("=", 1)[0]
        lines.append(f"{key}={overrides[key]}" if key in overrides else line)
    env_file.write_text("\n".join(lines) + "\n")
    env = {
        **os.environ,
        "DEV_STACK_STATE": str(state / "state"),
        "DEV_STACK_ENV_FILE": str(env_file),
    }
    try:
        started = time.perf_counter()
        subprocess.run(
            [str(ROOT / "infra" / "dev-stack"), "up"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        return time.perf_counter() - started
    finally:
        subprocess.run(
            [str(ROOT / "infra" / "dev-stack"), "down"],
            env=env,
            capture_output=True,
            text=True,
        )
        shutil.rmtree(state, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--skip-cold-start", action="store_true")
    args = parser.parse_args()
    if not os.environ.get("POSTGRES_PASSWORD"):
        sys.exit("load the DEV stack's settings first: set -a; . ./.env; set +a")
    seeded = int(os.environ.get("DEV_SAMPLE_EVENTS", "10000"))
    if seeded != args.events:
        sys.exit(
            f"the DEV stack is seeded with {seeded} events; pass --events {seeded}"
        )

    with tempfile.TemporaryDirectory(prefix="mmp-bench-") as tmp:
        project = copy_project(Path(tmp))
        prepare_local_data(project, n_events=args.events)
        local = timed_train(project)
        dev = timed_train(project, "--env", "dev")

    print(f"recipe                     {RECIPE} ({args.events} spine rows, 20 trials)")
    print(f"LOCAL kedro run wall time  {local:7.2f} s")
    print(f"DEV   kedro run wall time  {dev:7.2f} s")
    print(f"ratio DEV / LOCAL          {dev / local:7.2f}")
    if not args.skip_cold_start:
        print(f"dev-stack up from cold     {cold_stack_up(args.events):7.2f} s")


if __name__ == "__main__":
    main()
