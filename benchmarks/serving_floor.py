"""Our /predict against a hand-written floor for the same run, interleaved in one run.

    infra/dev-stack up && set -a && . ./.env && set +a
    .venv/bin/python benchmarks/serving_floor.py --run-id <id> [--seconds 10] \\
        [--rounds 2] [--cold-rounds 2] [--batch-seconds 3] [--output f.json]

The floor is ``benchmarks/floor_app.py``: what a competent engineer would write in
an afternoon for the run's model (a pydantic body, one Feast online read, a NumPy
row, the fitted XGBoost's ``predict_proba``), served by uvicorn in its own process
with our options (one process, log level warning, no access log). Every server runs
from the project root on 127.0.0.1, started as ``benchmarks/serving_load.py`` starts
them (``start_server``), on the DEV stack.

1. Cold start: ours (``python -m serving --env dev``), the floor and ``mlflow models
   serve``, one at a time, A B C A B C for ``--cold-rounds``: seconds from process
   start to the first 200 of ``/ready`` (``/health`` for MLflow, which has no
   readiness endpoint nor warm-up prediction), asked every 0.1 s. Median of each;
   target ours <= 1.5x the floor.
2. Steady state: ours and the floor running at once. Both first predict the same 20
   real entities from public.events (the largest probability difference is printed;
   over 1e-6 the output says what ours read for the entity). Then the client + HTTP
   floor (GET /health, c=1) and, for each of ``--rounds``, for c in (1, 8): ours then
   the floor, ``--seconds`` each (``serving_load.measure``: a closed loop of c
   keep-alive connections, 2 s warm-up excluded). Medians per level across rounds;
   targets: ours p50 / floor p50 at c=1 <= 1.3, ours req/s / floor req/s at c=8
   >= 0.8, ours p99 / ours p50 at c=1 <= 2.0.
3. ``/predict_batch`` of 1, 100 and 1000 entities per request, c=1,
   ``--batch-seconds`` each, ours then the floor (whose batch endpoint makes one
   Feast read for all rows): rows/s and server CPU per row. Not a target.

Targets are printed MET / NOT MET; the script exits 0 whenever the measurement ran.
Everything printed is also written to ``--output`` as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving_load import (  # noqa: E402 - this folder's load benchmark
    HOST,
    ROOT,
    Body,
    Level,
    entity_keys,
    free_port,
    measure,
    print_table,
    report_targets,
    start_server,
    stop_server,
    tree_stats,
    wait_ready,
)

FLOOR_APP = ROOT / "benchmarks" / "floor_app.py"
COLD_SERVERS = ("ours", "floor", "mlflow")
READY_PATH = {"ours": "/ready", "floor": "/ready", "mlflow": "/health"}
READY_POLL = 0.1  # seconds between readiness checks of a cold start
CHECK_ENTITIES = 20
MATCH_TOLERANCE = 1e-6
BATCH_SIZES = (1, 100, 1000)


def launch(name: str, run_id: str, port: int, logs: Path) -> subprocess.Popen:
    """``name`` serving ``run_id`` on ``port``: ours and MLflow as serving_load starts
    them, the floor as ``floor_app.py``."""
    command = None
    if name == "floor":
        address = ["--host", HOST, "--port", str(port)]
        command = [sys.executable, str(FLOOR_APP), "--run-id", run_id, *address]
    return start_server(name, run_id, port, logs, command=command)


def cold_start_seconds(name: str, run_id: str, logs: Path) -> float:
    """Seconds from starting ``name``'s process to its first ready answer."""
    port = free_port()
    started = time.monotonic()
    proc = launch(name, run_id, port, logs)
    try:
        url = f"http://{HOST}:{port}{READY_PATH[name]}"
        wait_ready(name, proc, url, logs, interval=READY_POLL)
        return round(time.monotonic() - started, 2)
    finally:
        stop_server(proc)


def cold_starts(run_id: str, rounds: int, logs: Path) -> dict[str, Any]:
    """Every server started ``rounds`` times, interleaved; medians and the ratio."""
    seconds: dict[str, list[float]] = {name: [] for name in COLD_SERVERS}
    for _ in range(rounds):
        for name in COLD_SERVERS:
            seconds[name].append(cold_start_seconds(name, run_id, logs))
    medians = {name: round(median(values), 2) for name, values in seconds.items()}
    ratio = round(medians["ours"] / medians["floor"], 2)
    print(f"cold start to ready, {rounds} round(s), seconds: {seconds}")
    print(f"cold start medians (s): {medians}; ours / floor: {ratio:.2f}x")
    return {"seconds": seconds, "median_seconds": medians, "ours_over_floor": ratio}


def predict_body(keys: list[dict[str, Any]]) -> Body:
    """The /predict body of request ``n``: one entity, keys cycled."""
    return lambda n: keys[n % len(keys)]


def batch_body(keys: list[dict[str, Any]], size: int) -> Body:
    """The /predict_batch body of request ``n``: the next ``size`` entities."""
    return lambda n: [keys[(n * size + i) % len(keys)] for i in range(size)]


def compare_predictions(
    base: dict[str, str], keys: list[dict[str, Any]]
) -> dict[str, Any]:
    """Both servers' answers for the same entities: the largest probability
    difference, the entities whose labels differ, and why when over tolerance."""
    step = max(1, len(keys) // CHECK_ENTITIES)
    sample = keys[::step][:CHECK_ENTITIES]
    diffs, label_mismatches = [], []
    for entity in sample:
        answers = {}
        for name in ("ours", "floor"):
            response = httpx.post(f"{base[name]}/predict", json=entity, timeout=30)
            response.raise_for_status()
            answers[name] = response.json()
        ours, floor = answers["ours"], answers["floor"]
        diffs.append(abs(ours["probability"] - floor["probability"]))
        if ours["prediction"] != floor["prediction"]:
            label_mismatches.append(entity)
    worst = max(range(len(diffs)), key=diffs.__getitem__)
    max_diff = diffs[worst]
    matched = max_diff <= MATCH_TOLERANCE and not label_mismatches
    print(
        f"same {len(sample)} entities on both: max |probability difference| "
        f"{max_diff:.3g} (tolerance {MATCH_TOLERANCE:g}), labels differing for "
        f"{len(label_mismatches)}: {'match' if matched else 'MISMATCH'}"
    )
    why = None
    if not matched:
        features = httpx.post(
            f"{base['ours']}/predict",
            params={"include_features": "true"},
            json=sample[worst],
            timeout=30,
        ).json()["features"]
        why = (
            "the floor encodes Feast's values with the fitted preprocessor's "
            "statistics in NumPy and predicts with the same estimator: a difference "
            "means the two read different feature values (the store changed between "
            "the two reads: materialisation) or encode them differently (a category "
            "or missing value the NumPy encoding handles unlike SimpleScaler). "
            f"Ours read for {sample[worst]}: {features}"
        )
        print(f"why: {why}")
    return {
        "entities": len(sample),
        "max_abs_probability_diff": max_diff,
        "label_mismatches": label_mismatches,
        "within_tolerance": matched,
        "why": why,
    }


def median_level(levels: list[Level]) -> Level:
    """One level's figures across rounds: medians; requests, errors, seconds summed."""

    def mid(field: str) -> float:
        return round(median(getattr(lv, field) for lv in levels), 2)

    return replace(
        levels[0],
        requests=sum(lv.requests for lv in levels),
        errors=sum(lv.errors for lv in levels),
        seconds=round(sum(lv.seconds for lv in levels), 2),
        **{
            field: mid(field)
            for field in ("p50_ms", "p99_ms", "rps", "server_cpu_ms", "client_cpu_ms")
        },
    )


def print_batch_table(title: str, rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    columns = "server entities/req requests errors p50_ms/req rows/s".split()
    for column in columns:
        table.add_column(column, justify="left" if column == "server" else "right")
    table.add_column("server\ncpu_ms/row", justify="right")
    for row in rows:
        table.add_row(
            row["server"],
            str(row["entities_per_request"]),
            str(row["requests"]),
            str(row["errors"]),
            f"{row['p50_ms']:.2f}",
            f"{row['rows_per_s']:.1f}",
            f"{row['server_cpu_ms_per_row']:.3f}",
        )
    Console(width=120).print(table)


def batches(
    base: dict[str, str],
    procs: dict[str, subprocess.Popen],
    keys: list[dict[str, Any]],
    seconds: float,
) -> list[dict[str, Any]]:
    """/predict_batch at c=1 for each batch size, ours then the floor."""
    rows = []
    for size in BATCH_SIZES:
        for name in ("ours", "floor"):
            url = f"{base[name]}/predict_batch"
            level = measure(
                name, url, batch_body(keys, size), 1, seconds, procs[name].pid
            )
            rows.append(
                {
                    **asdict(level),
                    "entities_per_request": size,
                    "rows_per_s": round(level.rps * size, 1),
                    "server_cpu_ms_per_row": round(level.server_cpu_ms / size, 4),
                }
            )
    return rows


def steady_state(
    run_id: str, seconds: float, rounds: int, batch_seconds: float, logs: Path
) -> dict[str, Any]:
    """Ours and the floor at once: agreement, /health, /predict levels, batches."""
    ports = {"ours": free_port(), "floor": free_port()}
    base = {name: f"http://{HOST}:{port}" for name, port in ports.items()}
    procs: dict[str, subprocess.Popen] = {}
    try:
        for name, port in ports.items():
            procs[name] = launch(name, run_id, port, logs)
        for name, proc in procs.items():
            wait_ready(name, proc, base[name] + READY_PATH[name], logs)
        schema = httpx.get(f"{base['ours']}/model/schema", timeout=10).json()
        keys = entity_keys(list(schema["request_fields"]), limit=max(BATCH_SIZES))
        agreement = compare_predictions(base, keys)
        for name, proc in procs.items():
            pids, _, rss = tree_stats(proc.pid)
            print(f"{name}: processes {pids}, RSS {rss:.0f} MiB")
        health = [
            measure(name, f"{base[name]}/health", None, 1, min(seconds, 5), proc.pid)
            for name, proc in procs.items()
        ]
        levels: list[Level] = []
        for _ in range(rounds):
            for c in (1, 8):
                for name, proc in procs.items():
                    url = f"{base[name]}/predict"
                    body = predict_body(keys)
                    levels.append(measure(name, url, body, c, seconds, proc.pid))
        batch_rows = batches(base, procs, keys, batch_seconds)
    finally:
        for proc in procs.values():
            stop_server(proc)
    return {
        "agreement": agreement,
        "health": health,
        "levels": levels,
        "batches": batch_rows,
    }


def report(
    run_id: str,
    seconds: float,
    rounds: int,
    cold: dict[str, Any],
    steady: dict[str, Any],
) -> dict[str, Any]:
    """Tables, ratios and targets of both phases."""
    levels: list[Level] = steady["levels"]
    print_table(
        f"single-row /predict, {seconds:g} s per level, {rounds} round(s) A B A B, "
        f"run {run_id}",
        steady["health"] + levels,
    )
    medians = {
        (server, c): median_level(
            [lv for lv in levels if (lv.server, lv.concurrency) == (server, c)]
        )
        for c in (1, 8)
        for server in ("ours", "floor")
    }
    print_table(
        "medians across rounds (requests, errors: totals)", list(medians.values())
    )
    floor_health = {lv.server: lv.p50_ms for lv in steady["health"]}
    print(f"client + HTTP floor, p50 of GET /health at c=1 (ms): {floor_health}")
    print_batch_table("/predict_batch at c=1", steady["batches"])
    rows_per_s = {
        (r["server"], r["entities_per_request"]): r["rows_per_s"]
        for r in steady["batches"]
    }
    batch_ratio = {
        size: _ratio(rows_per_s["ours", size], rows_per_s["floor", size])
        for size in BATCH_SIZES
    }
    print(
        f"/predict_batch rows/s, ours / floor, by entities per request: {batch_ratio}"
    )
    ours1, floor1 = medians["ours", 1], medians["floor", 1]
    ours8, floor8 = medians["ours", 8], medians["floor", 8]
    ratios = {
        "cold_start_ours_over_floor": cold["ours_over_floor"],
        "p50_ours_over_floor_c1": _ratio(ours1.p50_ms, floor1.p50_ms),
        "rps_ours_over_floor_c8": _ratio(ours8.rps, floor8.rps),
        "p99_over_p50_ours_c1": _ratio(ours1.p99_ms, ours1.p50_ms),
        "batch_rows_per_s_ours_over_floor": batch_ratio,
    }
    print(f"ratios: {ratios}")
    errors = sum(lv.errors for lv in levels) + sum(
        r["errors"] for r in steady["batches"]
    )
    print(f"errors, /predict and /predict_batch: {errors}")
    targets = report_targets(
        {
            "cold start ours <= 1.5x floor": (
                f"{ratios['cold_start_ours_over_floor']:.2f}x",
                ratios["cold_start_ours_over_floor"] <= 1.5,
            ),
            "p50 /predict c=1 ours <= 1.3x floor": (
                f"{ratios['p50_ours_over_floor_c1']:.2f}x",
                ratios["p50_ours_over_floor_c1"] <= 1.3,
            ),
            "req/s c=8 ours >= 0.8x floor": (
                f"{ratios['rps_ours_over_floor_c8']:.2f}x",
                ratios["rps_ours_over_floor_c8"] >= 0.8,
            ),
            "p99 / p50 /predict c=1 ours <= 2.0": (
                f"{ratios['p99_over_p50_ours_c1']:.2f}x",
                ratios["p99_over_p50_ours_c1"] <= 2.0,
            ),
        }
    )
    return {
        "cold_start": cold,
        "agreement": steady["agreement"],
        "client_floor_p50_ms": floor_health,
        "levels": [asdict(lv) for lv in steady["health"] + levels],
        "medians": [asdict(lv) for lv in medians.values()],
        "batches": steady["batches"],
        "ratios": ratios,
        "errors": errors,
        "targets": targets,
    }


def _ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b and not math.isnan(b) else math.nan


def main() -> None:
    parser = argparse.ArgumentParser(prog="benchmarks/serving_floor.py")
    parser.add_argument("--run-id", required=True, help="a finished DEV run")
    parser.add_argument("--seconds", type=float, default=10.0, help="per level")
    parser.add_argument("--rounds", type=int, default=2, help="A B A B rounds")
    parser.add_argument("--cold-rounds", type=int, default=2, help="A B C rounds")
    parser.add_argument(
        "--batch-seconds", type=float, default=3.0, help="per batch size"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "data" / "08_reporting" / "serving_floor.json",
    )
    args = parser.parse_args()
    if not all(map(os.environ.get, ("POSTGRES_PASSWORD", "MLFLOW_TRACKING_URI"))):
        sys.exit("load the DEV stack's settings first: set -a; . ./.env; set +a")
    with tempfile.TemporaryDirectory(prefix="mmp-serving-floor-logs-") as tmp:
        logs = Path(tmp)
        cold = cold_starts(args.run_id, args.cold_rounds, logs)
        steady = steady_state(
            args.run_id, args.seconds, args.rounds, args.batch_seconds, logs
        )
    figures = report(args.run_id, args.seconds, args.rounds, cold, steady)
    record = {
        "command": " ".join([sys.executable, *sys.argv]),
        "run_id": args.run_id,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average_1_5_15": os.getloadavg(),
        **figures,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2, default=str) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
