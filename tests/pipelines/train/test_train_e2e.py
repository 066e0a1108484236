"""`kedro run --pipelines train` on LOCAL for every example recipe, end to end.

Real DuckDB, embedded Feast, Optuna and MLflow (SQLite); the artifact is then loaded
in a fresh process from a directory that has no recipes/ and no conf/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import sqlalchemy as sa
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from project_helpers import EXAMPLE_RECIPES, RUN_ARTIFACTS, TEST_TRIALS, mlflow_client

from mmp_kedro.spine import SQLQueryRunner

pytestmark = pytest.mark.e2e

TASK_METRICS = {
    "uplift_model_exp3": {
        "auuc",
        "qini",
        "auuc_shuffled_baseline",
        "qini_shuffled_baseline",
        "ate",
    },
    "conversion_classifier": {
        "roc_auc",
        "accuracy",
        "f1",
        "precision",
        "recall",
        "log_loss",
    },
    "order_value_regression": {"rmse", "mae", "r2"},
    "session_segments": {"silhouette", "calinski_harabasz", "davies_bouldin"},
}

#: The MLflow types of each recipe's prediction columns (XGBoost's probabilities are
#: float32, its classes int64).
PREDICTION_TYPES = {
    "uplift_model_exp3": {"uplift_score": "double"},
    "conversion_classifier": {"prediction": "long", "probability": "float"},
    "order_value_regression": {"prediction": "double"},
    "session_segments": {"cluster": "long"},
}


def _artifact_json(project: Path, run_id: str, name: str) -> dict:
    mlflow.set_tracking_uri(f"sqlite:///{project / 'mlruns.db'}")
    path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=name)
    return json.loads(Path(path).read_text())


@pytest.mark.parametrize("recipe", EXAMPLE_RECIPES)
def test_train_logs_metrics_and_the_full_artifact(local_project, trained_runs, recipe):
    run = mlflow_client(local_project).get_run(trained_runs[recipe])
    assert run.info.status == "FINISHED"
    assert TASK_METRICS[recipe] <= set(run.data.metrics), sorted(run.data.metrics)
    class_name = run.data.tags["model_class_path"].rsplit(".", 1)[-1]
    assert re.fullmatch(
        rf"{class_name}_{recipe}_\d{{8}}_\d{{6}}_optuna_best_score_-?\d+\.\d{{4}}",
        run.info.run_name,
    ), run.info.run_name

    listed = {
        a.path for a in mlflow_client(local_project).list_artifacts(run.info.run_id)
    }
    assert RUN_ARTIFACTS <= listed

    optimization = _artifact_json(
        local_project, run.info.run_id, "hyperparameter_optimization.json"
    )
    assert optimization["enabled"] is True and optimization["engine"] == "optuna"
    for key in (
        "best_params",
        "best_score",
        "optimization_history",
        "total_trials",
        "pruned_trials",
        "optimization_time",
        "search_space",
    ):
        assert key in optimization
    assert optimization["total_trials"] == len(optimization["optimization_history"])

    methodology = _artifact_json(
        local_project, run.info.run_id, "training_methodology.json"
    )
    assert methodology["preprocessing_fit_scope"] == "train_only"
    for key in (
        "train_test_split_method",
        "train_ratio",
        "validation_strategy",
        "random_state",
    ):
        assert key in methodology
    # The env's default split: random, with no time or group extents.
    assert methodology["split"]["strategy"] == "random"
    assert methodology["split"]["column"] is None

    metadata = _artifact_json(local_project, run.info.run_id, "model_metadata.json")
    for key in (
        "model_class_path",
        "training_timestamp",
        "model_version",
        "feature_schema",
        "target_schema",
    ):
        assert key in metadata

    model_info = mlflow.models.get_model_info(f"runs:/{run.info.run_id}/model")
    params = {p.name: p.default for p in model_info.signature.params.params}
    assert params["run_mode"] == "batch" and params["return_intermediate"] is False
    # The default output: the spine's columns as the caller sends them, then the
    # task's predictions (what return_intermediate adds is not described).
    # (get_model_info reads the MLmodel file through Model.load.)
    inputs = model_info.signature.inputs.to_dict()
    assert model_info.signature.outputs is not None
    outputs = model_info.signature.outputs.to_dict()
    assert outputs[: len(inputs)] == inputs
    assert [(c["name"], c["type"]) for c in outputs[len(inputs) :]] == list(
        PREDICTION_TYPES[recipe].items()
    )


def test_uplift_beats_shuffled_baseline_on_held_out_rows(local_project, trained_runs):
    metrics = (
        mlflow_client(local_project)
        .get_run(trained_runs["uplift_model_exp3"])
        .data.metrics
    )
    assert metrics["auuc"] > metrics["auuc_shuffled_baseline"]
    assert metrics["qini"] > metrics["qini_shuffled_baseline"]


FRESH_PROCESS = """
import json, sys
from importlib.metadata import packages_distributions
import mlflow, pandas as pd
mlflow.set_tracking_uri(sys.argv[1])
model = mlflow.pyfunc.load_model(f"runs:/{sys.argv[2]}/model")
rows = pd.DataFrame({
    "user_id": ["u00001", "u00002", "u00003"],
    "product_id": ["p0001", "p0002", "p0003"],
    "session_id": ["s0000001", "s0000002", "s9999999"],
    "event_timestamp": pd.to_datetime(["2025-06-30 12:00", "2025-05-01 08:30", "2025-02-03 23:59"]),
})
out = model.predict(rows)
owners = packages_distributions()
kedro_runner = model.predict(rows, params={"runner": "SequentialRunner"})
print(json.dumps({
    "rows": len(out),
    "columns": list(out.columns),
    "default_runner": {
        p["name"]: p["default"] for p in model.metadata.get_params_schema().to_dict()
    }["runner"],
    "same_as_sequential_runner": bool(out.equals(kedro_runner)),
    "imported_distributions": sorted({
        dist
        for module in list(sys.modules)
        for dist in owners.get(module.split(".")[0], [])
    }),
}))
"""

#: Imported by the libraries only because they are installed here (each import sits in
#: a try/except ImportError): shap's plots try IPython, sklearn's test helpers pytest,
#: fsspec lz4, JSON encoders orjson, and MLflow's schema types pyspark (the `spark`
#: extra, for batch_inference_spark). With their dependencies, they may be absent.
OPTIONAL_IMPORTS = ("ipython", "pytest", "lz4", "orjson", "pyspark")


def requirement_closure(requirements: list[str]) -> set[str]:
    """Distributions pip installs for ``requirements`` (their extras included), as
    this environment's metadata says."""
    closure: set[str] = set()
    seen: set[tuple[str, tuple[str, ...]]] = set()
    pending = [Requirement(line) for line in requirements]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        key = (name, tuple(sorted(requirement.extras)))
        if key in seen:
            continue
        seen.add(key)
        closure.add(name)
        try:
            dependencies = distribution(name).requires or []
        except PackageNotFoundError:
            continue
        contexts = [{"extra": extra} for extra in requirement.extras] or [{"extra": ""}]
        for line in dependencies:
            dependency = Requirement(line)
            if dependency.marker is None or any(
                dependency.marker.evaluate(context) for context in contexts
            ):
                pending.append(dependency)
    return closure


@pytest.mark.parametrize("recipe", EXAMPLE_RECIPES)
def test_artifact_predicts_in_a_fresh_process_without_recipes(
    local_project, trained_runs, recipe, tmp_path
):
    """Only the run id and the env's feature-store settings are needed."""
    assert not (tmp_path / "recipes").exists()
    env = {
        **os.environ,
        "MMP_PROJECT_PATH": str(local_project),
        "KEDRO_ENV": "local",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            FRESH_PROCESS,
            f"sqlite:///{local_project / 'mlruns.db'}",
            trained_runs[recipe],
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["rows"] == 3
    assert {"user_id", "session_id", "event_timestamp"} <= set(output["columns"])
    # The artifact predicts with its lean InferenceRunner; Kedro's own runner agrees.
    assert output["default_runner"] == "InferenceRunner"
    assert output["same_as_sequential_runner"]
    # Everything it imported is installed by its requirements.txt (or ships as code).
    mlflow.set_tracking_uri(f"sqlite:///{local_project / 'mlruns.db'}")
    requirements = Path(
        mlflow.pyfunc.get_model_dependencies(f"runs:/{trained_runs[recipe]}/model")
    ).read_text()
    installed = requirement_closure(
        [line for line in requirements.splitlines() if line.strip()]
    )
    optional = requirement_closure(list(OPTIONAL_IMPORTS))
    missing = (
        {canonicalize_name(dist) for dist in output["imported_distributions"]}
        - installed
        - optional
        - {"mmp-kedro"}
    )
    assert not missing, f"imported but not in the artifact's requirements: {missing}"


LOADER_OUTPUT_PROCESS = """
import json, sys
import mlflow, pandas as pd
mlflow.set_tracking_uri(sys.argv[1])
model = mlflow.pyfunc.load_model(f"runs:/{sys.argv[2]}/model")
spine = pd.read_parquet(sys.argv[3])
naive = spine.assign(
    event_timestamp=spine["event_timestamp"].dt.tz_convert("UTC").dt.tz_localize(None)
)
aware, as_naive = model.predict(spine), model.predict(naive)
print(json.dumps({
    "input_dtype": str(spine["event_timestamp"].dtype),
    "rows": len(aware),
    "same_scores": bool(
        aware.drop(columns="event_timestamp").equals(
            as_naive.drop(columns="event_timestamp")
        )
    ),
}))
"""


def test_artifact_predicts_the_loaders_own_output_in_a_fresh_process(
    local_project, trained_runs, tmp_path
):
    """The spine exactly as the recipe's loader SQL returns it on LOCAL (DuckDB's
    time-zone aware timestamps) is accepted, and scored as its naive-UTC twin."""
    recipe = "conversion_classifier"
    runner = SQLQueryRunner(
        sa.create_engine("duckdb:///:memory:"),
        [],
        {"events": str(local_project / "data" / "01_raw" / "events.parquet")},
    )
    sql = (local_project / "recipes/sql/loaders/conversion_spine.sql").read_text()
    spine = runner.query(sql, {"start_date": "2025-06-01", "end_date": "2025-06-08"})
    assert isinstance(spine["event_timestamp"].dtype, pd.DatetimeTZDtype)
    spine_file = tmp_path / "loader_output.parquet"
    spine.to_parquet(spine_file)

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            LOADER_OUTPUT_PROCESS,
            f"sqlite:///{local_project / 'mlruns.db'}",
            trained_runs[recipe],
            str(spine_file),
        ],
        cwd=tmp_path,
        env={
            **os.environ,
            "MMP_PROJECT_PATH": str(local_project),
            "KEDRO_ENV": "local",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["input_dtype"].endswith(", UTC]")
    assert output["rows"] == len(spine) > 0
    assert output["same_scores"]


def test_run_log_shows_trial_progress_and_stage_timings(
    local_project: Path, trained_runs: dict[str, str]
) -> None:
    log = (local_project / "train_uplift_model_exp3.log").read_text()
    trials = re.findall(
        r"trial (\d+)/(\d+) (complete|pruned): auuc=\S+ \(best so far (\S+)\)", log
    )
    assert len(trials) >= 2, log[-3000:]
    assert trials[0][:2] == ("1", str(TEST_TRIALS))
    assert all(best != "n/a" for *_, best in trials[1:])
    for stage in (
        "spine.load_spine",
        "augment.augment_features",
        "tune.tune_hyperparameters",
        "tune.fit_final_model",
        "report.plot_evaluation",
    ):
        assert re.search(rf"stage {re.escape(stage)} took \d+\.\d\ds", log), stage


@pytest.mark.parametrize("recipe", EXAMPLE_RECIPES)
def test_run_ends_with_its_summary_and_prints_no_library_warning(
    local_project: Path, trained_runs: dict[str, str], recipe: str
) -> None:
    log = (local_project / f"train_{recipe}.log").read_text()
    run_id = trained_runs[recipe]
    run = mlflow_client(local_project).get_run(run_id)

    summary = log[log.index("Training run summary") :].splitlines()
    fields = dict(
        re.match(r"  (\S+(?: \S+)?)\s{2,}(.+)$", line).groups() for line in summary[1:7]
    )
    assert fields["run id"] == run_id
    assert fields["run name"] == run.info.run_name
    assert fields["status"] == "FINISHED" == run.info.status
    assert fields["recipe"].startswith(f"{recipe} (")
    assert fields["artifact"] == f"runs:/{run_id}/model"
    shown = dict(item.split() for item in fields["test metrics"].split(", "))
    assert shown, fields
    for name, value in shown.items():
        assert name in TASK_METRICS[recipe]
        assert float(value) == pytest.approx(run.data.metrics[name], abs=5e-5)
    first_command = summary.index("  next:") + 1
    commands = summary[first_command : first_command + 3]
    assert [c.split()[:4] for c in commands[:2]] == [
        ["kedro", "run", "--pipelines", "batch_inference"],
        ["kedro", "run", "--pipelines", "evaluate"],
    ]
    assert commands[2].split()[:3] == ["python", "-m", "serving"]
    assert all(run_id in command for command in commands)

    # warnings.showwarning's "<file>:<line>: <Category>: ..." and Kedro's own deprecation
    library_warnings = re.findall(r"^.*\.py:\d+: \w*Warning: .*$", log, re.MULTILINE)
    assert library_warnings == []
    assert "Deprecat" not in log
