"""LOCAL `kedro run --pipelines train` of the uplift recipe against the same work
written by hand (`benchmarks/handwritten_train.py`), and its peak memory.

    .venv/bin/python benchmarks/local_train.py [--events 10000|200000] [--rounds 3]
    .venv/bin/python benchmarks/local_train.py --rss-events 1000000 [--rss-trials 2]
    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/local_train.py --a /tmp/before [--rounds 3]

Every run works in a throw-away copy of the project with freshly generated sample data
(`infra/sample_data.py`: every event falls in the loader SQL's window, so ``--events``
is the spine's row count), its LOCAL Feast registry applied
(`python -m mmp_kedro.feature_store apply --env local`) and its MLflow store created
beforehand, as it is for every run after a user's first.

By default it alternates, in one process and on the same copy, `kedro run --pipelines
train --params recipe=uplift_model_exp3` (A) and the hand-written script (B), each in a
fresh interpreter, A B A B over ``--rounds``; it checks both trained the same model
(spine rows, trials, pruned trials, best score, test AUUC) and prints every wall time,
the medians, the ratio kedro / hand-written against its target (1.25x at 10k spine
rows, 1.1x at 200k: MET / NOT MET), and where each spends its time: kedro's
``stage <node> took`` log lines and the script's own stages, and each one's import
floor (what it imports, in a separate interpreter).

``--rss-events N`` trains once on N spine rows under ``/usr/bin/time`` and prints the
peak RSS and the wall time (``--rss-handwritten``: the script's too).

With ``--a <checkout>`` it compares two source trees instead: each round trains once
with the checkout's code and conf (its ``src`` first on the path) and once with this
tree's, alternating which goes first, on the same sample data; it prints every wall
time, the medians and their ratio B/A.

Exits 0 whenever the measurement ran, met or not.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HANDWRITTEN = ROOT / "benchmarks" / "handwritten_train.py"
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "infra")]
from project_helpers import (  # noqa: E402
    copy_project,
    mlflow_client,
    runs_of_recipe,
)
from sample_data import write_sample_data  # noqa: E402

RECIPE = "uplift_model_exp3"
#: The most `kedro run` may take, as a multiple of the hand-written script, by spine rows.
TARGETS = {10_000: 1.25, 200_000: 1.1}

# What a `kedro run` imports, with the collector and Feast's typeguard set up as the
# `kedro` command sets them (mmp_kedro.runtime).
KEDRO_IMPORTS = (
    "from mmp_kedro.runtime.collector import relax_while_loading; relax_while_loading(); "
    "from mmp_kedro.runtime.debug_checks import skip_typeguard_instrumentation; "
    "skip_typeguard_instrumentation(); "
    "import kedro.framework.session, kedro_mlflow.framework.hooks, mlflow, feast, optuna,"
    " causalml.inference.meta, causalml.metrics, xgboost, sklearn.compose"
)
# What the hand-written script imports.
HANDWRITTEN_IMPORTS = (
    "import duckdb, mlflow, optuna, pandas, causalml.inference.meta, causalml.metrics,"
    " feast, mlflow.models, sklearn.compose, sklearn.impute, sklearn.model_selection,"
    " sklearn.pipeline, sklearn.preprocessing"
)

STAGE_LINE = re.compile(r"stage (\S+) took ([0-9.]+)s")
PIPELINE_LINE = re.compile(
    r"Pipeline execution completed successfully in ([0-9.]+) sec"
)


def tree_env(tree: Path) -> dict[str, str]:
    """The environment that runs ``tree``'s ``mmp_kedro`` (this venv's otherwise)."""
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    env["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    env.pop("MLFLOW_TRACKING_URI", None)
    if tree.resolve() != ROOT:
        env["PYTHONPATH"] = str(tree / "src")
    return env


def prepared_project(tree: Path, where: Path, raw: Path) -> Path:
    """A copy of ``tree``'s conf and recipes with the sample data in ``raw``, the
    LOCAL Feast registry applied by ``tree``'s code, the MLflow store created.

    Nothing is materialised into the online store: training reads none of it.
    """
    project = copy_project(where, source=tree)
    for table in raw.glob("*.parquet"):
        (project / "data" / "01_raw" / table.name).write_bytes(table.read_bytes())
    subprocess.run(
        [sys.executable, "-m", "mmp_kedro.feature_store", "apply", "--env", "local"]
        + ["--project-path", str(project)],
        cwd=project,
        env=tree_env(tree),
        check=True,
        capture_output=True,
    )
    # 1-2 s of schema migrations, before the timed runs as before every run after a
    # user's first.
    mlflow_client(project).search_experiments()
    return project


def kedro_command() -> list[str]:
    return [str(Path(sys.executable).parent / "kedro"), "run", "--pipelines", "train"]


def run_timed(
    command: list[str], project: Path, env: dict[str, str], what: str
) -> tuple[float, str]:
    """Wall time and combined output of ``command`` run in ``project``."""
    started = time.perf_counter()
    result = subprocess.run(
        command,
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{what} failed:\n{result.stdout[-3000:]}")
    return wall, result.stdout


def timed_train(tree: Path, project: Path, recipe: str) -> float:
    wall, _ = run_timed(
        kedro_command() + ["--params", f"recipe={recipe}"],
        project,
        tree_env(tree),
        f"kedro run ({tree})",
    )
    return wall


def kedro_round(project: Path) -> dict:
    """One `kedro run` of the uplift recipe: wall time, stages and what it trained."""
    wall, output = run_timed(
        kedro_command() + ["--params", f"recipe={RECIPE}"],
        project,
        tree_env(ROOT),
        "kedro run",
    )
    stages: dict[str, float] = defaultdict(float)
    for name, seconds in STAGE_LINE.findall(output):
        stages[name] += float(seconds)
    pipeline = PIPELINE_LINE.search(output)
    run = mlflow_client(project).get_run(runs_of_recipe(project, RECIPE)[0].info.run_id)
    import mlflow.artifacts

    split = mlflow.artifacts.load_dict(
        f"{run.info.artifact_uri}/training_methodology.json"
    )["split"]
    history = mlflow.artifacts.load_dict(
        f"{run.info.artifact_uri}/hyperparameter_optimization.json"
    )
    return {
        "wall": wall,
        "stages": dict(stages),
        "pipeline": float(pipeline.group(1)) if pipeline else float("nan"),
        "trained": {
            "spine_rows": split["train"]["rows"] + split["test"]["rows"],
            "trials": history["total_trials"],
            "pruned": history["pruned_trials"],
            "best_score": round(history["best_score"], 6),
            "test_auuc": round(run.data.metrics["auuc"], 6),
        },
        "fits": run.data.metrics["model_fit_seconds_total"],
    }


def handwritten_round(project: Path) -> dict:
    """One run of the hand-written script in a fresh interpreter."""
    wall, output = run_timed(
        [sys.executable, str(HANDWRITTEN), "--project", str(project)],
        project,
        tree_env(ROOT),
        "handwritten_train.py",
    )
    # The script's result is its last JSON line; library warnings go around it.
    result = json.loads(
        [line for line in output.splitlines() if line.startswith("{")][-1]
    )
    return {
        "wall": wall,
        "stages": result["stages"],
        "trained": {
            "spine_rows": result["spine_rows"],
            "trials": result["trials"],
            "pruned": result["pruned"],
            "best_score": round(result["best_score"], 6),
            "test_auuc": round(result["test_auuc"], 6),
        },
    }


def import_floor(statement: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", statement],
        check=True,
        env=tree_env(ROOT),
        capture_output=True,
    )
    return time.perf_counter() - started


#: kedro's stages grouped as the hand-written script's.
STAGE_GROUPS = {
    "spine": ("spine.load_spine",),
    "features": ("augment.augment_features", "augment.resolve_augmenter_config"),
    "tuning": ("tune.tune_hyperparameters",),
    "refit+test": (
        "tune.split_train_test",
        "tune.split_calibration_set",
        "tune.fit_final_model",
        "tune.calibrate_model",
        "tune.evaluate_on_test",
    ),
}


def kedro_grouped(stages: dict[str, float]) -> dict[str, float]:
    grouped = {
        group: sum(stages.get(name, 0.0) for name in names)
        for group, names in STAGE_GROUPS.items()
    }
    known = {name for names in STAGE_GROUPS.values() for name in names}
    grouped["report+package"] = sum(
        seconds for name, seconds in stages.items() if name not in known
    )
    return grouped


def versus_handwritten(args: argparse.Namespace, tmp: Path, raw: Path) -> None:
    project = prepared_project(ROOT, tmp / "project", raw)
    load_before = os.getloadavg()[0]
    kedro_runs, hand_runs = [], []
    for round_ in range(args.rounds):
        kedro_runs.append(kedro_round(project))
        hand_runs.append(handwritten_round(project))
        print(
            f"round {round_ + 1}: kedro run {kedro_runs[-1]['wall']:7.2f} s   "
            f"hand-written {hand_runs[-1]['wall']:7.2f} s",
            flush=True,
        )
    floors = {
        "kedro": import_floor(KEDRO_IMPORTS),
        "hand": import_floor(HANDWRITTEN_IMPORTS),
    }

    def median(runs: list[dict], key) -> float:
        return statistics.median(key(run) for run in runs)

    kedro_wall = median(kedro_runs, lambda run: run["wall"])
    hand_wall = median(hand_runs, lambda run: run["wall"])
    ratio = kedro_wall / hand_wall
    target = TARGETS[args.events]
    trained = {"kedro": kedro_runs[-1]["trained"], "hand": hand_runs[-1]["trained"]}
    same = trained["kedro"] == trained["hand"]

    print()
    print(
        f"recipe {RECIPE}, {args.events} events, {args.rounds} rounds (A B A B); "
        f"1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after "
        f"({os.cpu_count()} CPUs)"
    )
    print(f"{'':34}{'kedro run':>12}{'hand-written':>14}")
    for field in ("spine_rows", "trials", "pruned", "best_score", "test_auuc"):
        print(f"  {field:32}{trained['kedro'][field]:>12}{trained['hand'][field]:>14}")
    print(f"  {'same model trained':32}{'yes' if same else 'NO':>12}")
    print(f"{'median wall time':34}{kedro_wall:10.2f} s{hand_wall:12.2f} s")
    kedro_stages = [kedro_grouped(run["stages"]) for run in kedro_runs]
    for group in (*STAGE_GROUPS, "report+package"):
        hand = (
            f"{median(hand_runs, lambda run: run['stages'].get(group, 0.0)):12.2f} s"
            if group in hand_runs[0]["stages"]
            else f"{'-':>14}"
        )
        print(f"  {group:32}{median(kedro_stages, lambda s: s[group]):10.2f} s{hand}")
    kedro_pipeline = median(kedro_runs, lambda run: run["pipeline"])
    print(f"  {'kedro: all nodes (its runner)':32}{kedro_pipeline:10.2f} s")
    print(
        f"  {'kedro: outside the nodes':32}"
        f"{median(kedro_runs, lambda run: run['wall'] - run['pipeline']):10.2f} s"
    )
    print(
        f"  {'hand: MLflow run + log_model':32}{'':12}"
        f"{median(hand_runs, lambda run: run['stages']['mlflow']):12.2f} s"
    )
    print(
        f"  {'hand: outside its stages':32}{'':12}"
        f"{median(hand_runs, lambda run: run['wall'] - sum(run['stages'].values())):12.2f} s"
    )
    print(
        f"  {'sum of model fits (kedro metric)':32}"
        f"{median(kedro_runs, lambda run: run['fits']):10.2f} s"
    )
    print(
        f"{'import floor (what each imports)':34}{floors['kedro']:10.2f} s{floors['hand']:12.2f} s"
    )
    verdict = "MET" if ratio <= target else "NOT MET"
    print(
        f"ratio kedro / hand-written        {ratio:10.3f}  (target <= {target}x: {verdict})"
    )
    if not same:
        print(
            "WARNING: the two did not train the same model; the ratio compares unequal work"
        )


def peak_rss(args: argparse.Namespace, tmp: Path, raw: Path) -> None:
    project = prepared_project(ROOT, tmp / "project", raw)
    if args.rss_trials is not None:  # peak memory is the data's, not the trials'
        recipe = project / "recipes" / f"{RECIPE}.yaml"
        recipe.write_text(
            re.sub(
                r"(?m)^(  n_trials: )\d+",
                rf"\g<1>{args.rss_trials}",
                recipe.read_text(),
            )
        )
    commands = {"kedro run": kedro_command() + ["--params", f"recipe={RECIPE}"]}
    if args.rss_handwritten:
        commands["hand-written"] = [
            sys.executable,
            str(HANDWRITTEN),
            "--project",
            str(project),
        ]
    trials = f", {args.rss_trials} trials" if args.rss_trials is not None else ""
    print(f"recipe {RECIPE}, {args.rss_events} events{trials}")
    for name, command in commands.items():
        wall, output = run_timed(
            ["/usr/bin/time", "-f", "peak-rss-kb %M"] + command,
            project,
            tree_env(ROOT),
            name,
        )
        kilobytes = int(re.findall(r"peak-rss-kb (\d+)", output)[-1])
        stages = dict(STAGE_LINE.findall(output))
        slowest = sorted(stages.items(), key=lambda item: -float(item[1]))[:3]
        print(
            f"{name:14} peak RSS {kilobytes / 1024**2:6.2f} GiB   wall {wall:8.1f} s"
            + (f"   slowest stages {slowest}" if slowest else ""),
            flush=True,
        )


def alternating(args: argparse.Namespace, tmp: Path, raw: Path) -> None:
    trees = {"A": args.a.resolve(), "B": ROOT}
    projects = {
        name: prepared_project(tree, tmp / name, raw) for name, tree in trees.items()
    }
    walls: dict[str, list[float]] = {"A": [], "B": []}
    for round_ in range(args.rounds):
        order = ("A", "B") if round_ % 2 == 0 else ("B", "A")
        for name in order:
            walls[name].append(timed_train(trees[name], projects[name], args.recipe))
        print(
            f"round {round_ + 1}: A {walls['A'][-1]:6.2f} s   B {walls['B'][-1]:6.2f} s"
        )
    medians = {name: statistics.median(values) for name, values in walls.items()}
    print(
        f"recipe        {args.recipe} ({args.events} spine rows), {args.rounds} rounds"
    )
    print(f"A             {trees['A']}: median {medians['A']:6.2f} s")
    print(f"B             {trees['B']}: median {medians['B']:6.2f} s")
    print(f"ratio B / A   {medians['B'] / medians['A']:6.3f}")


def main() -> None:
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"  # load_dict's
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--events",
        type=int,
        choices=sorted(TARGETS),
        default=10_000,
        help="sample events, each a spine row",
    )
    parser.add_argument(
        "--recipe", default=RECIPE, help="with --a only: the recipe both train"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--a", type=Path, help="another checkout to compare with")
    parser.add_argument(
        "--rss-events", type=int, help="peak RSS of one kedro run on this many rows"
    )
    parser.add_argument(
        "--rss-trials",
        type=int,
        help="with --rss-events: the recipe's n_trials in the copy (fewer fits)",
    )
    parser.add_argument(
        "--rss-handwritten",
        action="store_true",
        help="with --rss-events: the hand-written script's too",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mmp-bench-") as tmp:
        raw = Path(tmp) / "raw"
        write_sample_data(raw, n_events=args.rss_events or args.events)
        if args.rss_events:
            peak_rss(args, Path(tmp), raw)
        elif args.a is not None:
            alternating(args, Path(tmp), raw)
        else:
            versus_handwritten(args, Path(tmp), raw)


if __name__ == "__main__":
    main()
