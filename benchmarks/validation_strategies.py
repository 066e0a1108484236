"""Test metrics under each split strategy, and calibration before and after.

    .venv/bin/python benchmarks/validation_strategies.py [--events 20000] [--trials 8]

Not a timing: one throw-away LOCAL copy with fresh sample data, then `kedro run
--pipelines train` as a user types it, once per setting, each overriding the env's
default with `--params training.validation...`:

  - conversion_classifier and uplift_model_exp3 under `split=random` and
    `split=temporal` (the test split is the latest rows: usually a lower score);
  - conversion_classifier with `calibration.method` isotonic and sigmoid (Brier score
    and expected calibration error on the test split, before and after).

The recipes' `n_trials` is set to `--trials` in the copy. Metrics are read back from
the copy's MLflow store, as `kedro mmp` or a notebook would.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "infra")]
from project_helpers import copy_project, mlflow_client, prepare_local_data  # noqa: E402

#: (recipe, the overriding params, the metrics to print)
SETTINGS = [
    ("conversion_classifier", {"training.validation.split": "random"}, ["roc_auc"]),
    ("conversion_classifier", {"training.validation.split": "temporal"}, ["roc_auc"]),
    ("uplift_model_exp3", {"training.validation.split": "random"}, ["auuc", "qini"]),
    ("uplift_model_exp3", {"training.validation.split": "temporal"}, ["auuc", "qini"]),
    *[
        (
            "conversion_classifier",
            {"training.validation.calibration.method": method},
            [
                "roc_auc",
                "brier_score_before_calibration",
                "brier_score",
                "expected_calibration_error_before_calibration",
                "expected_calibration_error",
            ],
        )
        for method in ("isotonic", "sigmoid")
    ],
]


def train(project: Path, recipe: str, overrides: dict[str, str]) -> dict[str, float]:
    """The test metrics of one `kedro run --pipelines train` in ``project``."""
    params = ",".join([f"recipe={recipe}", *(f"{k}={v}" for k, v in overrides.items())])
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "kedro"), "run", "--pipelines", "train"]
        + ["--params", params],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise SystemExit(f"{recipe} {overrides} failed:\n{result.stderr[-3000:]}")
    client = mlflow_client(project)
    experiment = client.get_experiment_by_name("mmp-kedro")
    [run] = client.search_runs(
        [experiment.experiment_id],
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    return dict(run.data.metrics)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--trials", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mmp-validation-") as scratch:
        project = copy_project(Path(scratch) / "project")
        for recipe in {recipe for recipe, _, _ in SETTINGS}:
            path = project / "recipes" / f"{recipe}.yaml"
            spec = yaml.safe_load(path.read_text())
            spec["hyperparameter_tuning"]["n_trials"] = args.trials
            path.write_text(yaml.safe_dump(spec, sort_keys=False))
        prepare_local_data(project, n_events=args.events)
        print(f"LOCAL, {args.events:,} events, {args.trials} trials per run")
        for recipe, overrides, names in SETTINGS:
            metrics = train(project, recipe, overrides)
            setting = ", ".join(f"{k.split('.')[-1]}={v}" for k, v in overrides.items())
            shown = "  ".join(
                f"{name} {metrics.get(name, float('nan')):.4f}" for name in names
            )
            print(f"{recipe:22} {setting:20} {shown}")


if __name__ == "__main__":
    main()
