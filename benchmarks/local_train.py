"""LOCAL train wall time for the uplift recipe (20 trials, 10k spine rows).

    .venv/bin/python benchmarks/local_train.py [--events 10000] [--recipe uplift_model_exp3]

Runs `kedro run --pipeline train` exactly as a user would, in a throw-away copy of the
project with freshly generated sample data (its MLflow store created beforehand, as it
is for every run after a user's first), then reports:
  - the whole command's wall time,
  - the sum of the model fits inside it (every tuning fold and the final refit,
    timed around `estimator.fit` and logged as the run's `model_fit_seconds_total`),
  - their ratio, and the interpreter start-up floor (importing what a train run
    imports, measured in a separate process) so the ratio can be read honestly.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from project_helpers import (  # noqa: E402
    copy_project,
    mlflow_client,
    prepare_local_data,
    run_kedro,
    runs_of_recipe,
)

# With the collector set up as settings.py sets it for a run (mmp_kedro.gc_tuning).
STARTUP_IMPORTS = (
    "from mmp_kedro.gc_tuning import relax_while_loading; relax_while_loading(); "
    "import kedro.framework.session, kedro_mlflow.framework.hooks, mlflow, feast, optuna,"
    " causalml.inference.meta, causalml.metrics, xgboost, sklearn.compose"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--recipe", default="uplift_model_exp3")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mmp-bench-") as tmp:
        project = copy_project(Path(tmp))
        prepare_local_data(project, n_events=args.events)
        # The MLflow store is created (1-2 s of schema migrations) before the timed
        # run, as it is for every run after a user's first.
        mlflow_client(project).search_experiments()

        started = time.perf_counter()
        result = run_kedro(
            project, "--pipeline", "train", "--params", f"recipe={args.recipe}"
        )
        wall = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f"kedro run failed:\n{result.stderr[-3000:]}")
        run = mlflow_client(project).get_run(
            runs_of_recipe(project, args.recipe)[0].info.run_id
        )

        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", STARTUP_IMPORTS], check=True)
        imports = time.perf_counter() - started

    fits = run.data.metrics["model_fit_seconds_total"]
    print(f"recipe                      {args.recipe} ({args.events} spine rows)")
    print(
        f"trials                      {run.data.params.get('recipe.hyperparameter_tuning.n_trials')}"
    )
    print(f"kedro run wall time         {wall:7.2f} s")
    print(f"sum of model fits           {fits:7.2f} s")
    print(f"ratio run / fits            {wall / fits:7.2f}")
    print(f"import floor (same imports) {imports:7.2f} s")
    print(f"ratio (run - imports) / fits {(wall - imports) / fits:6.2f}")


if __name__ == "__main__":
    main()
