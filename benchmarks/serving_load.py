"""Serving load benchmark on loopback: this app vs `mlflow models serve`, same model.

    infra/dev-stack up && set -a && . ./.env && set +a
    .venv/bin/python benchmarks/serving_load.py [--run-id <id>] [--seconds 20]
    .venv/bin/python benchmarks/serving_load.py --run-id <id> --soak-seconds 300

Without ``--run-id`` it first trains `conversion_classifier` on DEV in a throw-away
copy of the project. Both servers then run from the project root on 127.0.0.1:
`python -m serving --env dev` and `mlflow models serve --env-manager local` (its
defaults otherwise; the artifact binds the DEV feature store through
MMP_PROJECT_PATH and KEDRO_ENV). After checking that both predict the same for
the same entities, a closed loop of 1 then 8 workers (threads, one keep-alive
connection each, :class:`KeepAliveClient`) sends single-row requests for real keys from the DEV table public.events,
a 2 s warm-up excluded. Printed and written to ``--output`` as JSON: requests, errors,
p50/p99 latency, requests/s and CPU per request of server and client, for each server
and concurrency; the client + HTTP floor (GET /health); ratios and targets.

``--awake-cpus-diagnostic`` then measures concurrency 1 once more for both servers
with every CPU kept from idling by lowest-priority spinners (:func:`cpus_kept_awake`),
and prints the ratio of the two p50s: how much of the latency is the machine waking
halted CPUs rather than the servers' work. Not a target, and not for a shared host.

``--soak-seconds N`` runs this app only, at concurrency 8 for N seconds, sampling its
RSS, and reports errors and the RSS growth after the first 30 s. The script exits 0
whenever the measurement ran: targets are printed MET / NOT MET.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from project_helpers import copy_project, free_port, project_runs  # noqa: E402

RECIPE = "conversion_classifier"
HOST = "127.0.0.1"
VENV_BIN = Path(sys.executable).parent
READY_TIMEOUT = 180.0
WARMUP = 2.0
Body = Callable[[int], dict[str, Any]]


@dataclass
class Level:
    server: str
    endpoint: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    rps: float
    server_cpu_ms: float  # CPU time of the server's processes per request
    client_cpu_ms: float  # CPU time of this load generator per request


class KeepAliveClient:
    """One keep-alive HTTP/1.1 connection with the standard library's ``http.client``.

    A load generator's own work lands inside every latency it measures. httpx spent
    about 1.3 ms of CPU per request here (``client cpu_ms/req`` in this script's
    table when it used httpx), a sixth of a prediction; ``http.client`` spends a
    fraction of that, so the figures are the server's, for both servers alike. After
    a failed request the connection is closed and reopened by the next one.
    """

    HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(
            parts.hostname or HOST, parts.port, timeout=timeout
        )

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """Status and body of one request; ``body`` is sent as JSON when given."""
        payload = None if body is None else json.dumps(body)
        try:
            self.connection.request(method, path, payload, self.HEADERS)
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            raise

    def close(self) -> None:
        self.connection.close()


def train_run() -> str:
    """A fresh DEV run of ``RECIPE``, trained in a throw-away copy of the project."""
    import mlflow

    since_ms = int(time.time() * 1000) - 1000
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mmp-serving-bench-") as tmp:
        project = copy_project(Path(tmp))
        # Not run_kedro(): it drops MLFLOW_TRACKING_URI, which DEV needs.
        args = f"run --env dev --pipelines train --params recipe={RECIPE}".split()
        result = subprocess.run(
            [str(VENV_BIN / "kedro"), *args],
            cwd=project,
            env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if result.returncode != 0:
            sys.exit(f"kedro run failed:\n{result.stderr[-3000:]}")
        client = mlflow.MlflowClient(tracking_uri=os.environ["MLFLOW_TRACKING_URI"])
        run_id = project_runs(client, project, RECIPE, since_ms)[0].info.run_id
    print(f"trained {RECIPE} on DEV in {time.perf_counter() - started:.0f} s: {run_id}")
    return run_id


def server_command(name: str, run_id: str, port: int) -> list[str]:
    address = f"--host {HOST} --port {port}"
    if name == "ours":
        args = f"-m serving --env dev --run-id {run_id} {address}"
        return [sys.executable, *args.split()]
    args = f"models serve -m runs:/{run_id}/model --env-manager local {address}"
    return [str(VENV_BIN / "mlflow"), *args.split()]


def start_server(
    name: str,
    run_id: str,
    port: int,
    logs: Path,
    command: list[str] | None = None,
) -> subprocess.Popen:
    """The server in its own process group (stopped as a whole), output to a log.

    ``command`` replaces :func:`server_command`'s for a server this script does not
    know (``benchmarks/serving_floor.py``'s floor).
    """
    env = {
        **os.environ,
        # `mlflow models serve` runs `uvicorn` from PATH: make it this venv's.
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "MMP_PROJECT_PATH": str(ROOT),
        "KEDRO_ENV": "dev",
    }
    with (logs / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            command or server_command(name, run_id, port),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_ready(
    name: str,
    proc: subprocess.Popen,
    url: str,
    logs: Path,
    interval: float = 0.5,
) -> None:
    """Until ``url`` answers 200, asked every ``interval`` seconds; exits with the
    server's log if it never does."""
    started = time.monotonic()
    while time.monotonic() - started < READY_TIMEOUT and proc.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                print(f"{name} ready in {time.monotonic() - started:.1f} s")
                return
        except httpx.HTTPError:
            pass
        time.sleep(interval)
    tail = (logs / f"{name}.log").read_text(errors="replace")[-3000:]
    sys.exit(f"{name} not ready at {url} (exit code {proc.poll()}):\n{tail}")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, SIGKILL if still there after 15 s."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def tree_stats(root: int) -> tuple[list[int], float, float]:
    """Pids, CPU seconds (user + system) and RSS (MiB) of ``root`` and descendants."""
    stats = {}
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:  # after "(comm)": [1] ppid, [11] utime, [12] stime, [21] rss in pages
            stats[int(path.parent.name)] = path.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
    pids, todo = [], [root]
    while todo:
        pids.append(pid := todo.pop())
        todo.extend(child for child, s in stats.items() if int(s[1]) == pid)
    mine = [stats[pid] for pid in pids if pid in stats]
    cpu = sum(int(s[11]) + int(s[12]) for s in mine) / os.sysconf("SC_CLK_TCK")
    # The same counter as VmRSS in /proc/<pid>/status.
    rss = sum(int(s[21]) for s in mine) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return pids, cpu, rss


def entity_keys(fields: list[str], limit: int = 500) -> list[dict[str, Any]]:
    """Real entity keys from the DEV database's public.events."""
    import sqlalchemy as sa

    url = sa.URL.create(
        "postgresql+psycopg",
        username=os.environ.get("POSTGRES_USER", "mluser"),
        password=os.environ["POSTGRES_PASSWORD"],
        host=os.environ.get("POSTGRES_HOST", "127.0.0.1"),
        port=int(os.environ.get("POSTGRES_PORT", "55432")),
        database=os.environ.get("POSTGRES_DB", "mlpipeline"),
    )
    events = sa.table("events", *(sa.column(f) for f in fields), schema="public")
    query = sa.select(*events.c).distinct().order_by(*events.c).limit(limit)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            keys = [dict(row._mapping) for row in conn.execute(query)]
    finally:
        engine.dispose()
    print(f"{len(keys)} entities {fields} from public.events")
    return keys


def bodies(keys: list[dict[str, Any]]) -> dict[str, tuple[str, Body]]:
    """Per server: the predict path and the body of request ``n`` (keys cycled)."""

    def ours(n: int) -> dict[str, Any]:
        return keys[n % len(keys)]

    def mlflow(n: int) -> dict[str, Any]:
        now = datetime.now(UTC).replace(tzinfo=None).isoformat()
        record = {**keys[n % len(keys)], "event_timestamp": now}
        return {"dataframe_records": [record], "params": {"run_mode": "serving"}}

    return {"ours": ("/predict", ours), "mlflow": ("/invocations", mlflow)}


def check_same_predictions(base: dict[str, str], keys: list[dict[str, Any]]) -> None:
    predict = bodies(keys)
    for n in range(3):
        print(f"entity {keys[n]}")
        answers = {}
        for name, (path, body) in predict.items():
            response = httpx.post(base[name] + path, json=body(n), timeout=30)
            response.raise_for_status()
            answers[name] = response.json()
            print(f"{name:>6} {answers[name]}")
        ours, theirs = answers["ours"], answers["mlflow"]["predictions"][0]
        if ours["prediction"] != theirs["prediction"] or not math.isclose(
            ours["probability"], theirs["probability"], rel_tol=1e-6
        ):
            sys.exit("the two servers disagree on the same entity")


def measure(
    name: str, url: str, body: Body | None, c: int, seconds: float, server_pid: int
) -> Level:
    """A closed loop of ``c`` workers; requests started in the warm-up are dropped."""
    measure_from = time.perf_counter() + WARMUP
    stop = measure_from + seconds

    path = urlsplit(url).path
    method = "GET" if body is None else "POST"

    def worker(index: int) -> tuple[list[float], int]:
        latencies, errors, n = [], 0, index
        client = KeepAliveClient(url)
        try:
            while (sent := time.perf_counter()) < stop:
                try:
                    payload = None if body is None else body(n)
                    status, _ = client.request(method, path, payload)
                    ok = status == 200
                except (OSError, http.client.HTTPException):
                    ok = False
                if sent >= measure_from:
                    if ok:
                        latencies.append(time.perf_counter() - sent)
                    else:
                        errors += 1
                n += c
        finally:
            client.close()
        return latencies, errors

    with ThreadPoolExecutor(c) as pool:
        futures = [pool.submit(worker, i) for i in range(c)]
        time.sleep(max(0.0, measure_from - time.perf_counter()))
        server_cpu, client_cpu = tree_stats(server_pid)[1], time.process_time()
        results = [future.result() for future in futures]
    window = time.perf_counter() - measure_from
    server_cpu = tree_stats(server_pid)[1] - server_cpu
    client_cpu = time.process_time() - client_cpu
    latencies = [lat for lats, _ in results for lat in lats]
    ms = np.asarray(latencies or [math.nan]) * 1000
    per_request = 1000 / max(len(latencies), 1)
    return Level(
        server=name,
        endpoint=url.rsplit("/", 1)[1],
        concurrency=c,
        requests=len(latencies),
        errors=sum(errors for _, errors in results),
        seconds=round(window, 2),
        p50_ms=round(float(np.percentile(ms, 50)), 2),
        p99_ms=round(float(np.percentile(ms, 99)), 2),
        rps=round(len(latencies) / window, 1),
        server_cpu_ms=round(server_cpu * per_request, 2),
        client_cpu_ms=round(client_cpu * per_request, 2),
    )


def print_table(title: str, levels: list[Level]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in "server endpoint c requests errors p50_ms p99_ms req/s".split():
        table.add_column(column, justify="left" if column == "server" else "right")
    table.add_column("server\ncpu_ms/req", justify="right")
    table.add_column("client\ncpu_ms/req", justify="right")
    for lv in levels:
        cells = (lv.server, lv.endpoint, lv.concurrency, lv.requests, lv.errors)
        figures = (lv.p50_ms, lv.p99_ms, lv.rps, lv.server_cpu_ms, lv.client_cpu_ms)
        table.add_row(*map(str, cells), *(f"{x:.2f}" for x in figures))
    Console(width=120).print(table)


def report_targets(targets: dict[str, tuple[str, bool]]) -> dict[str, Any]:
    for name, (figure, met) in targets.items():
        print(f"{'MET    ' if met else 'NOT MET'}  {name}: {figure}")
    return {name: {"figure": f, "met": met} for name, (f, met) in targets.items()}


# A process per CPU that spins at the lowest priority Linux has: it runs only when no
# other task wants that CPU, and a waking task preempts it at once.
SPINNER = (
    "import os\n"
    "os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))\n"
    "while True: pass"
)


@contextmanager
def cpus_kept_awake() -> Iterator[None]:
    """Every CPU busy with a ``SCHED_IDLE`` spinner, so none halts between requests.

    On a VM whose guest halts its idle vCPUs (cpuidle ``haltpoll`` with no polling
    window), each request at concurrency 1 finds the server's CPU halted: the wake-up
    and the cold caches after it cost the server CPU time on every request. With the
    CPUs kept busy by work that yields to any other, what remains is the servers' own.
    A diagnostic only: it burns every idle cycle of the machine.
    """
    spinners = [
        subprocess.Popen([sys.executable, "-c", SPINNER])
        for _ in range(os.cpu_count() or 1)
    ]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def benchmark(
    run_id: str, seconds: float, logs: Path, awake_diagnostic: bool = False
) -> dict[str, Any]:
    ports = {"ours": free_port(), "mlflow": free_port()}
    base = {name: f"http://{HOST}:{port}" for name, port in ports.items()}
    procs: dict[str, subprocess.Popen] = {}
    try:
        for name, port in ports.items():
            procs[name] = start_server(name, run_id, port, logs)
        wait_ready("ours", procs["ours"], f"{base['ours']}/ready", logs)
        wait_ready("mlflow", procs["mlflow"], f"{base['mlflow']}/health", logs)
        schema = httpx.get(f"{base['ours']}/model/schema").json()
        keys = entity_keys(list(schema["request_fields"]))
        check_same_predictions(base, keys)
        processes = {name: tree_stats(proc.pid) for name, proc in procs.items()}
        for name, (pids, _, rss) in processes.items():
            print(f"{name}: processes {pids}, RSS {rss:.0f} MiB")
        levels = [
            measure(name, f"{base[name]}/health", None, 1, min(seconds, 5), proc.pid)
            for name, proc in procs.items()
        ]
        for c in (1, 8):
            for name, (path, body) in bodies(keys).items():
                url = base[name] + path
                levels.append(measure(name, url, body, c, seconds, procs[name].pid))
        if awake_diagnostic:
            with cpus_kept_awake():
                awake = [
                    measure(name, base[name] + path, body, 1, seconds, procs[name].pid)
                    for name, (path, body) in bodies(keys).items()
                ]
    finally:
        for proc in procs.values():
            stop_server(proc)
    print_table(f"single-row requests, {seconds:g} s per level, run {run_id}", levels)
    floor = {lv.server: lv.p50_ms for lv in levels[:2]}
    print(f"client + HTTP floor, p50 of GET /health at c=1 (ms): {floor}")
    ours1, mlflow1, ours8, mlflow8 = levels[2:]
    ratios = {
        "rps_ours_over_mlflow_c8": round(ours8.rps / mlflow8.rps, 2),
        "p50_ours_over_mlflow_c1": round(ours1.p50_ms / mlflow1.p50_ms, 2),
    }
    print(f"ratios: {ratios}")
    diagnostic = {}
    if awake_diagnostic:
        print_table("diagnostic: c=1 again, every CPU kept awake (not a target)", awake)
        diagnostic = {
            "awake_cpus_c1": [asdict(lv) for lv in awake],
            "p50_idle_over_awake_c1": {
                lv.server: round(idle.p50_ms / lv.p50_ms, 2)
                for lv, idle in zip(awake, (ours1, mlflow1), strict=True)
            },
        }
        print(
            f"p50 at c=1, idle CPUs over awake: {diagnostic['p50_idle_over_awake_c1']}"
        )
    errors = sum(lv.errors for lv in levels)
    targets = report_targets(
        {
            "p50 /predict c=1 < 5 ms": (f"{ours1.p50_ms:.2f} ms", ours1.p50_ms < 5),
            "p99 /predict c=1 < 10 ms": (f"{ours1.p99_ms:.2f} ms", ours1.p99_ms < 10),
            "req/s c=8 >= 1.5x mlflow": (
                f"{ratios['rps_ours_over_mlflow_c8']:.2f}x",
                ratios["rps_ours_over_mlflow_c8"] >= 1.5,
            ),
            "zero errors": (f"{errors} errors", errors == 0),
        }
    )
    return {
        "processes": {name: len(pids) for name, (pids, _, _) in processes.items()},
        "levels": [asdict(lv) for lv in levels],
        "client_floor_p50_ms": floor,
        "ratios": ratios,
        "targets": targets,
        **diagnostic,
    }


def soak(run_id: str, seconds: float, interval: float, logs: Path) -> dict[str, Any]:
    port = free_port()
    url = f"http://{HOST}:{port}"
    samples: list[tuple[float, float]] = []  # (seconds since start, RSS MiB)
    done = threading.Event()
    proc = start_server("ours", run_id, port, logs)

    def sample() -> None:
        started = time.perf_counter()
        while not done.wait(interval):
            elapsed = round(time.perf_counter() - started, 1)
            samples.append((elapsed, round(tree_stats(proc.pid)[2], 1)))

    try:
        wait_ready("ours", proc, f"{url}/ready", logs)
        fields = list(httpx.get(f"{url}/model/schema").json()["request_fields"])
        path, body = bodies(entity_keys(fields))["ours"]
        threading.Thread(target=sample, daemon=True).start()
        level = measure("ours", url + path, body, 8, seconds, proc.pid)
    finally:
        done.set()
        stop_server(proc)
    print_table(f"soak at c=8 for {seconds:g} s, run {run_id}", [level])
    warm = min(30.0, seconds / 2)
    after_warmup = next((rss for t, rss in samples if t >= warm), samples[0][1])
    end = samples[-1][1]
    growth = round((end - after_warmup) / after_warmup * 100, 2)
    print(f"RSS after {warm:g} s: {after_warmup:.1f} MiB, at the end: {end:.1f} MiB")
    targets = report_targets(
        {
            "zero errors": (f"{level.errors} errors", level.errors == 0),
            "RSS growth < 10 %": (f"{growth:+.2f} %", growth < 10),
        }
    )
    return {
        "level": asdict(level),
        "rss_mib_after_warmup": after_warmup,
        "rss_mib_end": end,
        "rss_growth_pct": growth,
        "rss_samples": samples,
        "targets": targets,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run-id", help="serve this DEV run instead of training one")
    parser.add_argument("--seconds", type=float, default=20.0, help="per level")
    parser.add_argument("--soak-seconds", type=float, help="soak this app only")
    parser.add_argument("--rss-interval", type=float, default=5.0)
    parser.add_argument(
        "--awake-cpus-diagnostic",
        action="store_true",
        help="after the targets, measure c=1 again with every CPU kept from idling "
        "(SCHED_IDLE spinners) to show the VM's idle-wake cost",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="default data/08_reporting/serving_benchmark.json "
        "(serving_soak.json with --soak-seconds)",
    )
    args = parser.parse_args()
    if not all(map(os.environ.get, ("POSTGRES_PASSWORD", "MLFLOW_TRACKING_URI"))):
        sys.exit("load the DEV stack's settings first: set -a; . ./.env; set +a")
    run_id = args.run_id or train_run()
    kind = "soak" if args.soak_seconds else "benchmark"
    output = args.output or ROOT / "data" / "08_reporting" / f"serving_{kind}.json"
    with tempfile.TemporaryDirectory(prefix="mmp-serving-logs-") as logs:
        if args.soak_seconds:
            figures = soak(run_id, args.soak_seconds, args.rss_interval, Path(logs))
        else:
            figures = benchmark(
                run_id, args.seconds, Path(logs), args.awake_cpus_diagnostic
            )
    record = {
        "command": " ".join([sys.executable, *sys.argv]),
        "run_id": run_id,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average_1_5_15": os.getloadavg(),
        **figures,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
