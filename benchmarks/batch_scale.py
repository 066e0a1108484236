"""LOCAL batch inference at scale: rows/s and peak memory at 1M and 10M events.

    .venv/bin/python benchmarks/batch_scale.py [--events 1000000 10000000]
    .venv/bin/python benchmarks/batch_scale.py --events 20000          # smoke run
    .venv/bin/python benchmarks/batch_scale.py --chunk-rows 250000     # batch_scoring.chunk_rows
    .venv/bin/python benchmarks/batch_scale.py --keep                  # keep the copy, its logs
    .venv/bin/python benchmarks/batch_scale.py --events 1000000 --spark # + batch_inference_spark

Everything runs as a user would on LOCAL, no servers, in one throw-away copy of the
project (``tests/project_helpers.copy_project``):

1. **Training, once.** The smallest requested size's sample data is written
   (``infra/sample_data.py``), Feast applied and materialised as ``make data`` does
   (``python -m mmp_kedro.feature_store apply --env local --materialize``), and the
   ``conversion_classifier`` recipe trained on its first month (``start_date`` /
   ``end_date`` params, 2025-01) with 3 tuning trials (the copy's recipe edited).
   Every size is then scored by this one run: the throughputs compare the same model
   (its trees, its preprocessor) on more rows, which is what the scaling target is
   about; training per size would compare different models and cost a training run
   per size for nothing the batch pipeline does differently.
2. **Per size, ascending.** The size's sample data replaces the previous one in the
   copy, its Feast registry and online store are rebuilt from nothing, and ``kedro
   run --pipelines batch_inference --params
   run_id=<id>,start_date=2025-01-01,end_date=2025-07-01`` scores the whole event
   range (every event), under ``/usr/bin/time`` and a psutil poll of the child tree.
   ``--materialize auto`` (the default) materialises the online store up to 1M
   events and above that only applies the registry: batch inference joins its
   features from the offline store (DuckDB over the parquet files) and never reads
   the online one, while Feast's SQLite materialisation took 3.5 GB at 1M events
   and grows with them (10M would not fit this 24 GB machine). ``always`` /
   ``never`` force it.

Printed per size: rows scored (the rows of the written ``batch_predictions``, checked
against the node's log line), the command's wall time, the rows/s of the work after
start-up and the peak RSS. The work after start-up is what the batch node reports at
its end when it logs ``batch inference: N rows in K chunks, X s, Y rows/s`` (Y); with
the unchunked node that only logs ``batch inference: N rows predicted with run ...``,
it is the stages that scale with the rows, ``load_batch_spine`` + ``predict_batch``
(the ``stage ... took`` lines; the model's load is inside ``predict_batch``). The
start-up is everything before that work (imports, the session, the run checks),
measured from the process start to when the work began (line arrival times here).
Peak RSS is the largest of ``/usr/bin/time -f %M`` (the largest single process;
kedro runs the pipeline in one) and the polled sum over the process tree.

With ``--spark`` each size is also scored by ``kedro run --pipelines
batch_inference_spark`` (the same run and window, Spark in ``spark.yml``'s
``local[2]``), right after the pandas path: its rows (of the written part files),
wall time, rows/s of the work (from its first node to the end of the pipeline, the
write included: Spark computes when the dataset saves) and peak RSS of the process
tree (the JVM and its Python workers are children), and its rows/s over the pandas
path's.

The targets are then printed, each MET / NOT MET (or not measured, when a size was
not run): 10M rows scored with peak RSS <= 4 GiB; rows/s at 1M / rows/s at 10M <=
1.3; >= 100k rows/s at 1M. The exit status is 0 whenever the measurement ran, met or
not.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "infra")]
from project_helpers import copy_project, mlflow_client, runs_of_recipe  # noqa: E402

RECIPE = "conversion_classifier"
TRIALS = 3
TRAIN_WINDOW = ("2025-01-01", "2025-02-01")
SCORE_WINDOW = ("2025-01-01", "2025-07-01")  # the sample data's whole event range
RSS_TARGET_MB = 4096
SCALING_TARGET = 1.3
RATE_TARGET = 100_000
TIME = Path("/usr/bin/time")
#: Above this, --materialize auto applies the registry without loading the online
#: store: batch_inference joins features from the offline store (DuckDB over the
#: parquet files) and never reads the online one, and materialising 1M events
#: already takes Feast 3.5 GB (SQLite rows written one Python object at a time).
MATERIALIZE_AUTO_MAX = 1_000_000

NUMBER = r"[\d][\d,_]*(?:\.\d+)?"
# "batch inference: 20000 rows in 1 chunks with run <id>, 1.4 s, 14511 rows/s": the
# words between the numbers may change, the numbers' order and units may not.
CHUNKED = re.compile(
    rf"batch inference:\s*(?P<rows>{NUMBER})\s*rows?\s+in\s+(?P<chunks>{NUMBER})\s*"
    rf"chunks?\b.*?(?<![\w.])(?P<seconds>{NUMBER})\s*s\b"
    rf".*?(?<![\w.])(?P<rate>{NUMBER})\s*rows?\s*/\s*s",
    re.IGNORECASE,
)
UNCHUNKED = re.compile(
    rf"batch inference:\s*(?P<rows>{NUMBER})\s*rows?\s+predicted", re.IGNORECASE
)
STAGE = re.compile(rf"stage\s+(?P<name>\S+)\s+took\s+(?P<seconds>{NUMBER})\s*s")
#: The stages whose time grows with the rows (the unchunked node's "work").
WORK_STAGES = ("load_batch_spine", "predict_batch")


def number(text: str) -> float:
    return float(text.replace(",", "").replace("_", ""))


@dataclass
class Measured:
    """One child command: its output lines with their arrival time after the start."""

    returncode: int
    wall: float
    peak_tree_mb: float
    time_max_mb: float | None
    lines: list[tuple[float, str]] = field(default_factory=list)

    @property
    def peak_mb(self) -> float:
        return max(self.peak_tree_mb, self.time_max_mb or 0.0)

    def tail(self, n: int = 40) -> str:
        return "\n".join(line for _, line in self.lines[-n:])


def child_env() -> dict[str, str]:
    # Unbuffered: each line's arrival time here is when it was logged.
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    return env


def measure(cmd: list[str], cwd: Path, log: Path) -> Measured:
    """Run ``cmd`` (under ``/usr/bin/time`` when there is one), its output teed to
    ``log`` with arrival times, the RSS of its process tree polled every 0.1 s."""
    time_out = log.with_suffix(".time")
    if TIME.exists():
        cmd = [str(TIME), "-f", "%M", "-o", str(time_out), *cmd]
    started = time.perf_counter()
    child = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    peak = [0.0]
    done = threading.Event()

    def poll() -> None:
        try:
            root = psutil.Process(child.pid)
        except psutil.NoSuchProcess:
            return
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            rss = 0
            for proc in procs:
                try:
                    rss += proc.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            peak[0] = max(peak[0], rss / 2**20)
            done.wait(0.1)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    lines: list[tuple[float, str]] = []
    with log.open("w") as out:
        assert child.stdout is not None
        for line in child.stdout:
            lines.append((time.perf_counter() - started, line.rstrip("\n")))
            out.write(line)
    returncode = child.wait()
    wall = time.perf_counter() - started
    done.set()
    poller.join()
    time_max = None
    if time_out.exists():
        found = re.findall(r"^\s*(\d+)\s*$", time_out.read_text(), re.MULTILINE)
        time_max = int(found[-1]) / 1024 if found else None
    return Measured(returncode, wall, peak[0], time_max, lines)


def must(measured: Measured, what: str) -> Measured:
    if measured.returncode != 0:
        sys.exit(f"{what} failed (exit {measured.returncode}):\n{measured.tail()}")
    return measured


def kedro(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "kedro"), *args]


def prepare_data(
    project: Path, events: int, logs: Path, materialize: bool
) -> tuple[Measured, Measured]:
    """``events`` sample events in the copy, its Feast registry (and, with
    ``materialize``, its online store) rebuilt from nothing: what ``make data``
    does."""
    raw = project / "data" / "01_raw"
    shutil.rmtree(raw, ignore_errors=True)
    shutil.rmtree(project / "data" / "feast", ignore_errors=True)
    generate = must(
        measure(
            [sys.executable, str(ROOT / "infra" / "sample_data.py")]
            + ["--out", str(raw), "--events", str(events)],
            project,
            logs / f"sample_data_{events}.log",
        ),
        "infra/sample_data.py",
    )
    feast = must(
        measure(
            [sys.executable, "-m", "mmp_kedro.feature_store", "apply"]
            + ["--env", "local", "--project-path", str(project)]
            + (["--materialize"] if materialize else []),
            project,
            logs / f"feast_{events}.log",
        ),
        "feature_store apply --materialize",
    )
    return generate, feast


def train(project: Path, logs: Path) -> str:
    recipe = project / "recipes" / f"{RECIPE}.yaml"
    recipe.write_text(
        re.sub(r"(?m)^(  n_trials: )\d+", rf"\g<1>{TRIALS}", recipe.read_text())
    )
    start, end = TRAIN_WINDOW
    run = must(
        measure(
            kedro("run", "--pipelines", "train")
            + ["--params", f"recipe={RECIPE},start_date={start},end_date={end}"],
            project,
            logs / "train.log",
        ),
        "kedro run --pipelines train",
    )
    runs = runs_of_recipe(project, RECIPE)
    if not runs or runs[0].info.status != "FINISHED":
        sys.exit(f"no FINISHED {RECIPE} run after training:\n{run.tail()}")
    run_id = runs[0].info.run_id
    print(f"trained {RECIPE} on {start}..{end}, {TRIALS} trials: run {run_id}", end="")
    print(f" ({run.wall:.1f} s)", flush=True)
    return run_id


@dataclass
class Scored:
    events: int
    rows: int
    logged_rows: int | None
    wall: float
    startup: float | None
    work: float | None
    rate: float | None
    source: str
    peak_mb: float
    peak_tree_mb: float
    time_max_mb: float | None
    chunks: int | None
    generate: Measured
    feast: Measured
    materialized: bool


def parse_run(measured: Measured) -> dict:
    """What the batch run's log says: its rows, the post-start-up work and rate."""
    stages: dict[str, tuple[float, float]] = {}  # name -> (arrival, seconds)
    chunked = unchunked = None
    for arrival, line in measured.lines:
        if match := STAGE.search(line):
            name = match["name"].rsplit(".", 1)[-1]
            stages[name] = (arrival, number(match["seconds"]))
        if match := CHUNKED.search(line):
            chunked = (arrival, match)
        elif match := UNCHUNKED.search(line):
            unchunked = (arrival, match)
    if chunked is not None:
        arrival, match = chunked
        work = number(match["seconds"])
        return {
            "logged_rows": int(number(match["rows"])),
            "chunks": int(number(match["chunks"])),
            "work": work,
            "rate": number(match["rate"]),
            "startup": max(arrival - work, 0.0),
            "source": "the node's chunk line",
        }
    found = [stages[name] for name in WORK_STAGES if name in stages]
    logged = int(number(unchunked[1]["rows"])) if unchunked else None
    if not found or logged is None:
        return {
            "logged_rows": logged,
            "chunks": None,
            "work": None,
            "rate": None,
            "startup": None,
            "source": "no batch inference line in the log",
        }
    work = sum(seconds for _, seconds in found)
    first_arrival, first_seconds = min(found)
    return {
        "logged_rows": logged,
        "chunks": None,
        "work": work,
        "rate": logged / work if work > 0 else None,
        "startup": max(first_arrival - first_seconds, 0.0),
        "source": " + ".join(name for name in WORK_STAGES if name in stages),
    }


def score(
    project: Path,
    run_id: str,
    events: int,
    chunk_rows: int | None,
    logs: Path,
    prepared: tuple[Measured, Measured],
    materialized: bool,
) -> Scored:
    outputs = project / "data" / "07_model_output"
    for old in outputs.glob("batch_*.parquet"):
        old.unlink()
    start, end = SCORE_WINDOW
    params = f"run_id={run_id},start_date={start},end_date={end}"
    if chunk_rows is not None:
        params += f",batch_scoring.chunk_rows={chunk_rows}"
    run = must(
        measure(
            kedro("run", "--pipelines", "batch_inference", "--params", params),
            project,
            logs / f"batch_inference_{events}.log",
        ),
        f"kedro run --pipelines batch_inference ({events} events)",
    )
    written = outputs / "batch_predictions.parquet"
    rows = pq.ParquetFile(written).metadata.num_rows if written.exists() else 0
    parsed = parse_run(run)
    return Scored(
        events=events,
        rows=rows,
        wall=run.wall,
        peak_mb=run.peak_mb,
        peak_tree_mb=run.peak_tree_mb,
        time_max_mb=run.time_max_mb,
        generate=prepared[0],
        feast=prepared[1],
        materialized=materialized,
        **parsed,
    )


@dataclass
class SparkScored:
    events: int
    rows: int
    wall: float
    work: float | None
    peak_mb: float

    @property
    def rate(self) -> float | None:
        return self.rows / self.work if self.work else None


SPARK_FIRST_NODE = "distribute_spine"
PIPELINE_DONE = "Pipeline execution completed"


def score_on_spark(project: Path, run_id: str, events: int, logs: Path) -> SparkScored:
    output = project / "data" / "07_model_output" / "batch_predictions_spark"
    shutil.rmtree(output, ignore_errors=True)
    start, end = SCORE_WINDOW
    run = must(
        measure(
            kedro("run", "--pipelines", "batch_inference_spark")
            + ["--params", f"run_id={run_id},start_date={start},end_date={end}"],
            project,
            logs / f"batch_inference_spark_{events}.log",
        ),
        f"kedro run --pipelines batch_inference_spark ({events} events)",
    )
    began = next((t for t, line in run.lines if SPARK_FIRST_NODE in line), None)
    ended = next((t for t, line in run.lines if PIPELINE_DONE in line), None)
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in output.glob("*.parquet"))
    work = ended - began if began is not None and ended is not None else None
    return SparkScored(events, rows, run.wall, work, run.peak_mb)


def report_spark(results: list[Scored], spark: list[SparkScored]) -> None:
    print()
    print("batch_inference_spark (Spark local[2]) against batch_inference (pandas)")
    header = (
        f"{'events':>11} {'rows scored':>12} {'wall s':>8} {'work s':>8} "
        f"{'rows/s':>10} {'peak RSS MiB':>12} {'rows/s vs pandas':>16}"
    )
    print(header)
    print("-" * len(header))
    pandas_rate = {r.events: r.rate for r in results}
    for r in spark:
        base = pandas_rate.get(r.events)
        ratio = f"{r.rate / base:.2f}x" if r.rate and base else "n/a"
        work = "n/a" if r.work is None else f"{r.work:.1f}"
        rate = "n/a" if r.rate is None else f"{r.rate:,.0f}"
        print(
            f"{r.events:>11,} {r.rows:>12,} {r.wall:>8.1f} {work:>8} {rate:>10} "
            f"{r.peak_mb:>12,.0f} {ratio:>16}"
        )


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def report(results: list[Scored], chunk_rows: int | None) -> None:
    print()
    print(
        f"batch_inference of {RECIPE}, LOCAL, window {SCORE_WINDOW[0]}..{SCORE_WINDOW[1]}"
        + (f", batch_scoring.chunk_rows={chunk_rows}" if chunk_rows else "")
    )
    header = (
        f"{'events':>11} {'rows scored':>12} {'wall s':>8} {'start-up s':>10} "
        f"{'work s':>8} {'rows/s':>10} {'peak RSS MiB':>12} {'chunks':>6}"
    )
    print(header)
    print("-" * len(header))

    def fmt(value: float | None, spec: str) -> str:
        return "n/a" if value is None else format(value, spec)

    for r in results:
        print(
            f"{r.events:>11,} {r.rows:>12,} {r.wall:>8.1f} {fmt(r.startup, '.1f'):>10} "
            f"{fmt(r.work, '.1f'):>8} {fmt(r.rate, ',.0f'):>10} {r.peak_mb:>12,.0f} "
            f"{fmt(r.chunks, 'd'):>6}"
        )
    print()
    for r in results:
        logged = (
            ""
            if r.logged_rows in (r.rows, None)
            else f" (the log said {r.logged_rows:,} rows)"
        )
        time_mb = fmt(r.time_max_mb, ",.0f")
        print(
            f"{r.events:>11,}: rows/s from {r.source}{logged}; RSS /usr/bin/time "
            f"{time_mb} MiB, tree {r.peak_tree_mb:,.0f} MiB; data {r.generate.wall:.1f} s"
            f" ({r.generate.peak_mb:,.0f} MiB), Feast apply"
            f"{' + materialise' if r.materialized else ' (no materialise)'} "
            f"{r.feast.wall:.1f} s ({r.feast.peak_mb:,.0f} MiB)"
        )

    by_size = {r.events: r for r in results}
    small, big = by_size.get(1_000_000), by_size.get(10_000_000)
    print()
    print("targets")
    if big is None:
        print("  10M rows scored, peak RSS <= 4 GiB      not measured (no 10M run)")
    else:
        ok = big.rows == big.events and big.peak_mb <= RSS_TARGET_MB
        print(
            f"  10M rows scored, peak RSS <= 4 GiB      {big.rows:,} rows, "
            f"{big.peak_mb:,.0f} MiB: {verdict(ok)}"
        )
    if small is None or big is None or not small.rate or not big.rate:
        print("  rows/s 1M / rows/s 10M <= 1.3           not measured (needs both)")
    else:
        ratio = small.rate / big.rate
        print(
            f"  rows/s 1M / rows/s 10M <= 1.3           {ratio:.2f}: "
            f"{verdict(ratio <= SCALING_TARGET)}"
        )
    if small is None or not small.rate:
        print("  >= 100k rows/s at 1M                    not measured (no 1M run)")
    else:
        print(
            f"  >= 100k rows/s at 1M                    {small.rate:,.0f} rows/s: "
            f"{verdict(small.rate >= RATE_TARGET)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--events", type=int, nargs="+", default=[1_000_000, 10_000_000]
    )
    parser.add_argument(
        "--chunk-rows", type=int, help="passed as --params batch_scoring.chunk_rows"
    )
    parser.add_argument(
        "--materialize",
        choices=["auto", "always", "never"],
        default="auto",
        help="load the online store after apply: auto up to "
        f"{MATERIALIZE_AUTO_MAX:,} events (batch_inference reads the offline store)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the project copy and its logs"
    )
    parser.add_argument(
        "--spark", action="store_true", help="also score with batch_inference_spark"
    )
    args = parser.parse_args()
    sizes = sorted(set(args.events))

    tmp = Path(tempfile.mkdtemp(prefix="mmp-batch-scale-"))
    try:
        project = copy_project(tmp / "project")
        logs = tmp / "logs"
        logs.mkdir()
        materialize = {
            events: args.materialize == "always"
            or (args.materialize == "auto" and events <= MATERIALIZE_AUTO_MAX)
            for events in sizes
        }
        prepared = prepare_data(project, sizes[0], logs, materialize[sizes[0]])
        mlflow_client(project).search_experiments()  # the store's migrations, once
        run_id = train(project, logs)
        results: list[Scored] = []
        spark_results: list[SparkScored] = []
        for events in sizes:
            if events != sizes[0]:
                prepared = prepare_data(project, events, logs, materialize[events])
            result = score(
                project,
                run_id,
                events,
                args.chunk_rows,
                logs,
                prepared,
                materialize[events],
            )
            print(
                f"{events:,} events: {result.rows:,} rows scored in {result.wall:.1f} s",
                flush=True,
            )
            results.append(result)
            if args.spark:
                on_spark = score_on_spark(project, run_id, events, logs)
                print(
                    f"{events:,} events on Spark: {on_spark.rows:,} rows scored in "
                    f"{on_spark.wall:.1f} s",
                    flush=True,
                )
                spark_results.append(on_spark)
        report(results, args.chunk_rows)
        if spark_results:
            report_spark(results, spark_results)
    finally:
        if args.keep:
            print(f"\nproject copy and logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
