"""Two checkouts of this app serving the same run, requests interleaved: A/B on noise.

    infra/dev-stack up && set -a && . ./.env && set +a
    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/serving_ab.py --run-id <id> --a /tmp/before [--b .] \
        [--run-id-a <id trained by A>] [--seconds 25] [--rounds 2]

This machine's speed drifts by more than a small change saves, so two runs of
``serving_load.py`` minutes apart cannot tell such a change from the drift. Here both
checkouts serve ``--run-id`` at once (``python -m serving --env dev``, each from its
own source tree and conf) and one client sends each entity
first to one and then to the other, alternating which goes first: drift hits both
alike. An artifact imports the code that trained it by module path, so when the two
checkouts lay their modules out differently each serves a run it trained itself
(``--run-id-a``: the same recipe, data and seeds, so the same model). Single-row
``/predict`` at concurrency 1, real keys (the fields of the run's
``/model/schema``) from the DEV table public.events, 2 s of warm-up excluded. Prints
p50/p99 per checkout and round and the ratio B/A of the p50s; exits 0 whenever the
measurement ran.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from serving_load import (  # this folder's load benchmark
    HOST,
    ROOT,
    VENV_BIN,
    WARMUP,
    KeepAliveClient,
    entity_keys,
    free_port,
    stop_server,
    wait_ready,
)


def start_checkout(
    name: str, tree: Path, run_id: str, port: int, logs: Path
) -> subprocess.Popen:
    """``python -m serving`` with ``tree``'s ``serving`` and ``mmp_kedro`` first on
    the path, and its conf."""
    env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{tree}"}
    command = [
        str(VENV_BIN / "python"),
        "-m",
        "serving",
        "--env",
        "dev",
        "--run-id",
        run_id,
        "--host",
        HOST,
        "--port",
        str(port),
        "--project-path",
        str(tree),
    ]
    with (logs / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            command,
            cwd=tree,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def interleaved_latencies(
    clients: list[KeepAliveClient], keys: list[dict], seconds: float
) -> list[list[float]]:
    """Per client, the latency (s) of each request after the warm-up."""
    latencies: list[list[float]] = [[] for _ in clients]
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < WARMUP + seconds:
        order = range(len(clients)) if n % 2 == 0 else reversed(range(len(clients)))
        for i in order:
            sent = time.perf_counter()
            status, body = clients[i].request("POST", "/predict", keys[n % len(keys)])
            elapsed = time.perf_counter() - sent
            if status != 200:
                sys.exit(f"checkout {'AB'[i]} answered {status}: {body[:500]!r}")
            if time.monotonic() - started >= WARMUP:
                latencies[i].append(elapsed)
        n += 1
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run-id", required=True)
    parser.add_argument(
        "--run-id-a", help="the run checkout A serves (default: --run-id)"
    )
    parser.add_argument("--a", type=Path, required=True, help="checkout A (baseline)")
    parser.add_argument("--b", type=Path, default=ROOT, help="checkout B (the change)")
    parser.add_argument("--seconds", type=float, default=25.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    trees = {"A": args.a.resolve(), "B": args.b.resolve()}
    for name, tree in trees.items():
        if not (tree / "serving" / "app.py").is_file():
            sys.exit(f"--{name.lower()} {tree}: not a checkout of this project")

    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp)
        ports = {name: free_port() for name in trees}
        run_ids = {"A": args.run_id_a or args.run_id, "B": args.run_id}
        procs = {
            name: start_checkout(name, tree, run_ids[name], ports[name], logs)
            for name, tree in trees.items()
        }
        try:
            for name, proc in procs.items():
                wait_ready(name, proc, f"http://{HOST}:{ports[name]}/ready", logs)
            clients = [
                KeepAliveClient(f"http://{HOST}:{ports[name]}") for name in trees
            ]
            # The run's request fields, as the app derives them from its loader SQL.
            fields = json.loads(clients[1].request("GET", "/model/schema")[1])[
                "request_fields"
            ]
            keys = entity_keys(list(fields), limit=200)
            for round_ in range(1, args.rounds + 1):
                latencies = interleaved_latencies(clients, keys, args.seconds)
                p50s = []
                for name, samples in zip(trees, latencies, strict=True):
                    p50, p99 = np.percentile(samples, [50, 99]) * 1e3
                    p50s.append(p50)
                    print(
                        f"round {round_} {name} ({trees[name]}): {len(samples)} "
                        f"requests, p50 {p50:.2f} ms, p99 {p99:.2f} ms"
                    )
                print(f"round {round_} p50 ratio B/A: {p50s[1] / p50s[0]:.3f}")
        finally:
            for proc in procs.values():
                stop_server(proc)


if __name__ == "__main__":
    main()
