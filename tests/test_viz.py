"""`kedro viz run` shows `train`, `batch_inference`, `batch_inference_spark` and
`evaluate` with their modular pipelines.

Each stage's nodes carry a ``namespace``, which Kedro-Viz draws as a collapsible group:
spine, augment, tune and package inside ``train`` (a kedro-mlflow ``PipelineML``),
batch_inference inside ``batch_inference`` and evaluate inside ``evaluate``.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from project_helpers import PROJECT_ROOT

# Kedro-Viz imports the whole project (Feast, MLflow, causalml) before it listens:
# ~30 s on an idle machine, more on a busy one.
STARTUP_SECONDS = 180
#: Kedro-Viz refuses ports above 49151 (and silently moves on from a busy one), so
#: ``project_helpers.free_port()``, an ephemeral port, cannot be used here.
VIZ_PORTS = (20000, 49151)

TRAIN_TASKS = {
    "spine.load_spine",
    "augment.resolve_augmenter_config",
    "augment.augment_features",
    "tune.split_train_test",
    "tune.tune_hyperparameters",
    "tune.split_calibration_set",
    "tune.fit_final_model",
    "tune.calibrate_model",
    "tune.evaluate_on_test",
    "package.snapshot_recipe",
    "package.describe_training",
    "package.describe_model",
}
BATCH_INFERENCE_TASKS = {
    "batch_inference.require_run_id",
    "batch_inference.fetch_loader_sql",
    "batch_inference.load_spine_chunks",
    "batch_inference.open_window_tally",
    "batch_inference.predict_batch",
    "batch_inference.report_drift",
}
BATCH_INFERENCE_SPARK_TASKS = {
    "batch_inference_spark.require_run_id",
    "batch_inference_spark.fetch_loader_sql",
    "batch_inference_spark.load_spine_chunks",
    "batch_inference_spark.distribute_spine",
    "batch_inference_spark.score_spine_on_spark",
}
EVALUATE_TASKS = {
    "evaluate.require_run_id",
    "evaluate.fetch_loader_sql",
    "evaluate.fetch_recipe_snapshot",
    "evaluate.load_batch_spine",
    "evaluate.evaluate_run",
    "evaluate.open_window_tally",
    "evaluate.tally_window",
    "evaluate.report_drift",
}


def _viz_port() -> int:
    """A free port on 127.0.0.1 that Kedro-Viz accepts (bound, then released)."""
    for _ in range(100):
        port = random.randint(*VIZ_PORTS)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {VIZ_PORTS}")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL, to the server's process group: it serves from a child."""
    group = process.pid  # start_new_session: the process we started leads the group
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            break
        if _group_gone(process, group, timeout=20):
            break
    process.wait(timeout=10)


def _group_gone(process: subprocess.Popen, group: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.poll()  # reap the leader, else it stays in the group as a zombie
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def viz_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running ``kedro viz run`` on the working tree; stopped after the module."""
    port = _viz_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("viz") / "kedro-viz.log"
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    kedro = str(Path(sys.executable).parent / "kedro")
    command = [kedro, "viz", "run", "--no-browser", "--host", "127.0.0.1"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_serving(url, process, log_path)
        yield url
    finally:
        _stop(process)


def _wait_until_serving(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"kedro viz exited with {process.returncode} before serving:\n"
                f"{log_path.read_text(errors='replace')[-4000:]}"
            )
        try:
            if httpx.get(f"{url}/api/main", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(
        f"kedro viz did not answer {url}/api/main within {STARTUP_SECONDS}s:\n"
        f"{log_path.read_text(errors='replace')[-4000:]}"
    )


def _pipeline(url: str, name: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/api/pipelines/{name}", timeout=30)
    assert response.status_code == 200, response.text[:1000]
    graph = response.json()
    assert graph["selected_pipeline"] == name
    return graph


def _tasks(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["full_name"]: n for n in graph["nodes"] if n["type"] == "task"}


def _datasets(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["name"]: n for n in graph["nodes"] if n["type"] == "data"}


def _groups(graph: dict[str, Any]) -> set[str]:
    """Modular pipelines drawn as groups directly under the root."""
    root = graph["modular_pipelines"]["__root__"]
    return {c["id"] for c in root["children"] if c["type"] == "modularPipeline"}


def test_viz_lists_the_entry_pipelines(viz_url):
    main = httpx.get(f"{viz_url}/api/main", timeout=30).json()
    assert {"train", "batch_inference", "batch_inference_spark", "evaluate"} <= {
        p["id"] for p in main["pipelines"]
    }


def test_train_shows_its_stages_as_modular_pipelines(viz_url):
    graph = _pipeline(viz_url, "train")

    tasks = _tasks(graph)
    assert TRAIN_TASKS <= set(tasks), sorted(tasks)
    for full_name, node in tasks.items():  # every train node sits in its stage
        assert "." in full_name, f"{full_name} has no namespace"
        assert node["modular_pipelines"] == [full_name.split(".", 1)[0]], full_name

    assert {"spine", "augment", "tune", "package"} <= _groups(graph)
    tree = graph["modular_pipelines"]
    for stage in ("spine", "augment", "tune", "package"):
        children = {c["id"] for c in tree[stage]["children"] if c["type"] == "task"}
        assert children == {
            node["id"] for name, node in tasks.items() if name.startswith(f"{stage}.")
        }

    datasets = _datasets(graph)
    for name in ("spine", "augmented", "train_set", "test_set"):
        assert name in datasets, sorted(datasets)
    assert "hyperparameter_optimization" in datasets
    # A namespace groups nodes; it does not rename the datasets between stages.
    assert datasets["spine"]["id"] in tree["spine"]["outputs"]
    assert datasets["augmented"]["id"] in tree["augment"]["outputs"]
    assert datasets["augmented"]["id"] in tree["tune"]["inputs"]


def test_the_recipe_is_a_catalog_dataset_feeding_the_stages(viz_url):
    graph = _pipeline(viz_url, "train")
    recipe = _datasets(graph)["recipe"]
    assert recipe["dataset_type"].endswith("RecipeDataset"), recipe
    readers = {e["target"] for e in graph["edges"] if e["source"] == recipe["id"]}
    tasks = {node["id"]: name for name, node in _tasks(graph).items()}
    assert {"spine.load_spine", "tune.split_train_test"} <= {
        tasks[t] for t in readers if t in tasks
    }


def test_batch_inference_spark_is_one_modular_pipeline(viz_url):
    graph = _pipeline(viz_url, "batch_inference_spark")
    tasks = _tasks(graph)
    assert BATCH_INFERENCE_SPARK_TASKS == set(tasks), sorted(tasks)
    assert _groups(graph) == {"batch_inference_spark"}
    datasets = _datasets(graph)
    assert datasets["batch_predictions_spark"]["dataset_type"].endswith("SparkDataset")


def test_batch_inference_is_one_modular_pipeline(viz_url):
    graph = _pipeline(viz_url, "batch_inference")

    tasks = _tasks(graph)
    assert BATCH_INFERENCE_TASKS <= set(tasks), sorted(tasks)
    assert all(n["modular_pipelines"] == ["batch_inference"] for n in tasks.values())
    assert _groups(graph) == {"batch_inference"}

    datasets = _datasets(graph)
    assert {"spine_loader", "batch_predictions", "batch_intermediates"} <= set(datasets)
    tree = graph["modular_pipelines"]["batch_inference"]
    assert datasets["spine_loader"]["id"] in tree["inputs"]
    # The drift report is counted chunk by chunk, as the window is scored.
    assert datasets["batch_drift_report"]["id"] in tree["outputs"]


def test_evaluate_is_one_modular_pipeline(viz_url):
    graph = _pipeline(viz_url, "evaluate")

    tasks = _tasks(graph)
    assert set(tasks) == EVALUATE_TASKS, sorted(tasks)
    assert all(n["modular_pipelines"] == ["evaluate"] for n in tasks.values())
    assert _groups(graph) == {"evaluate"}
    datasets = _datasets(graph)
    assert {"spine_loader", "evaluation_report"} <= set(datasets)
