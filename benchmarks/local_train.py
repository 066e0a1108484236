"""LOCAL train wall time for the uplift recipe (20 trials, 10k spine rows).

    .venv/bin/python benchmarks/local_train.py [--events 10000] [--recipe uplift_model_exp3]
    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/local_train.py --a /tmp/before [--rounds 3]

Runs `kedro run --pipelines train` exactly as a user would, in a throw-away copy of the
project with freshly generated sample data (its MLflow store created beforehand, as it
is for every run after a user's first), then reports:
  - the whole command's wall time,
  - the sum of the model fits inside it (every tuning fold and the final refit,
    timed around `estimator.fit` and logged as the run's `model_fit_seconds_total`),
  - their ratio, and the interpreter start-up floor (importing what a train run
    imports, measured in a separate process) so the ratio can be read honestly.

With ``--a <checkout>`` it compares two source trees on this machine's drifting speed:
each round trains once with the checkout's code and conf (its ``src`` first on the
path) and once with this tree's, alternating which goes first, on the same sample
data; it prints every wall time, the medians and their ratio B/A.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "infra")]
from project_helpers import (  # noqa: E402
    copy_project,
    mlflow_client,
    runs_of_recipe,
)
from sample_data import write_sample_data  # noqa: E402

# With the collector set up as settings.py sets it for a run (mmp_kedro.runtime).
STARTUP_IMPORTS = (
    "from mmp_kedro.runtime.collector import relax_while_loading; relax_while_loading(); "
    "import kedro.framework.session, kedro_mlflow.framework.hooks, mlflow, feast, optuna,"
    " causalml.inference.meta, causalml.metrics, xgboost, sklearn.compose"
)


def tree_env(tree: Path) -> dict[str, str]:
    """The environment that runs ``tree``'s ``mmp_kedro`` (this venv's otherwise)."""
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    if tree.resolve() != ROOT:
        env["PYTHONPATH"] = str(tree / "src")
    return env


def prepared_project(tree: Path, where: Path, raw: Path) -> Path:
    """A copy of ``tree``'s conf and recipes with the sample data in ``raw``, the
    LOCAL Feast registry applied by ``tree``'s code, the MLflow store created."""
    project = copy_project(where, source=tree)
    for table in raw.glob("*.parquet"):
        (project / "data" / "01_raw" / table.name).write_bytes(table.read_bytes())
    subprocess.run(
        [sys.executable, "-m", "mmp_kedro.feature_store", "apply", "--env", "local"]
        + ["--materialize", "--project-path", str(project)],
        cwd=project,
        env=tree_env(tree),
        check=True,
        capture_output=True,
    )
    # 1-2 s of schema migrations, before the timed runs as before every run after a
    # user's first.
    mlflow_client(project).search_experiments()
    return project


def timed_train(tree: Path, project: Path, recipe: str) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [str(Path(sys.executable).parent / "kedro"), "run", "--pipelines", "train"]
        + ["--params", f"recipe={recipe}"],
        cwd=project,
        env=tree_env(tree),
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"kedro run ({tree}) failed:\n{result.stderr[-3000:]}")
    return wall


def single(args: argparse.Namespace, tmp: Path, raw: Path) -> None:
    project = prepared_project(ROOT, tmp / "b", raw)
    wall = timed_train(ROOT, project, args.recipe)
    run = mlflow_client(project).get_run(
        runs_of_recipe(project, args.recipe)[0].info.run_id
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", STARTUP_IMPORTS], check=True)
    imports = time.perf_counter() - started

    fits = run.data.metrics["model_fit_seconds_total"]
    trials = run.data.params.get("recipe.hyperparameter_tuning.n_trials")
    print(f"recipe                      {args.recipe} ({args.events} spine rows)")
    print(f"trials                      {trials}")
    print(f"kedro run wall time         {wall:7.2f} s")
    print(f"sum of model fits           {fits:7.2f} s")
    print(f"ratio run / fits            {wall / fits:7.2f}")
    print(f"import floor (same imports) {imports:7.2f} s")
    print(f"ratio (run - imports) / fits {(wall - imports) / fits:6.2f}")


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
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--recipe", default="uplift_model_exp3")
    parser.add_argument("--a", type=Path, help="another checkout to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mmp-bench-") as tmp:
        raw = Path(tmp) / "raw"
        write_sample_data(raw, n_events=args.events)
        if args.a is None:
            single(args, Path(tmp), raw)
        else:
            alternating(args, Path(tmp), raw)


if __name__ == "__main__":
    main()
