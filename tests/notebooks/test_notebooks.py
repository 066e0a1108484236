"""The notebooks in ``notebooks/`` run top to bottom on a LOCAL project copy.

Each notebook is executed with nbclient in a Python kernel of this venv, pointed at
the copy through ``MMP_PROJECT_PATH``; a cell error fails the test. A probe cell
appended by the test reports what the notebook computed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml
from nbclient import NotebookClient
from project_helpers import PROJECT_ROOT, SAMPLE_FEATURES, mlflow_client

pytestmark = pytest.mark.e2e

NOTEBOOKS = PROJECT_ROOT / "notebooks"
KERNEL_NAME = "python3"
CELL_TIMEOUT = 300
PROBE = "MMP_NOTEBOOK_PROBE="


def _kernel_is_this_python() -> bool:
    """Whether the ``python3`` kernelspec starts ``sys.executable``.

    jupyter_client replaces a bare ``python``/``python3`` in a spec's argv with the
    Python that runs it, so the venv's own spec (``argv: [python, ...]``) qualifies.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        executable = KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv[0]
    except NoSuchKernel:
        return False
    major, minor = sys.version_info[:2]
    bare = {"python", f"python{major}", f"python{major}.{minor}"}
    return (
        executable in bare
        or Path(executable).resolve() == Path(sys.executable).resolve()
    )


@pytest.fixture
def notebook_env(local_project: Path, monkeypatch, tmp_path: Path) -> Path:
    """The kernel's environment (it inherits ours): the copy, LOCAL, this venv."""
    monkeypatch.setenv("MMP_PROJECT_PATH", str(local_project))
    monkeypatch.setenv("KEDRO_DISABLE_TELEMETRY", "1")
    for name in ("KEDRO_ENV", "MLFLOW_TRACKING_URI", "MPLBACKEND"):
        monkeypatch.delenv(name, raising=False)
    if not _kernel_is_this_python():
        from ipykernel.kernelspec import install

        install(prefix=str(tmp_path / "jupyter"), kernel_name=KERNEL_NAME)
        monkeypatch.setenv(
            "JUPYTER_PATH", str(tmp_path / "jupyter" / "share" / "jupyter")
        )
    return local_project


def _execute(
    name: str, project: Path, out_dir: Path, parameters: str = "", probe: str = ""
) -> tuple[nbformat.NotebookNode, dict[str, Any]]:
    """Run notebook ``name`` with injected ``parameters``; returns it and its probe."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    if parameters:
        (index,) = [
            i
            for i, cell in enumerate(nb.cells)
            if "parameters" in cell.metadata.get("tags", [])
        ]
        injected = nbformat.v4.new_code_cell(
            parameters, metadata={"tags": ["injected-parameters"]}
        )
        nb.cells.insert(index + 1, injected)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import json as _json, os as _os, sys as _sys\n"
            f"print({PROBE!r} + _json.dumps({{'python': _sys.executable, "
            f"'cwd': _os.getcwd(), {probe}}}, default=str))"
        )
    )
    client = NotebookClient(
        nb,
        kernel_name=KERNEL_NAME,
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(project)}},
    )
    try:
        client.execute()
    finally:  # the executed notebook, to read when a cell failed
        nbformat.write(nb, out_dir / name)
    lines = [
        line
        for output in nb.cells[-1].outputs
        if output.get("output_type") == "stream"
        for line in output.text.splitlines()
        if line.startswith(PROBE)
    ]
    assert len(lines) == 1, nb.cells[-1].outputs
    probe_values = json.loads(lines[0].removeprefix(PROBE))
    assert Path(probe_values["python"]).resolve() == Path(sys.executable).resolve()
    assert Path(probe_values["cwd"]).resolve() == project.resolve()
    return nb, probe_values


def _outputs(nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    return [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    ]


def _texts(nb: nbformat.NotebookNode) -> str:
    """Every text the notebook showed: streams, plain-text and markdown results."""
    texts = []
    for output in _outputs(nb):
        if output.get("output_type") == "stream":
            texts.append(output.text)
        data = output.get("data", {})
        texts.extend(data.get(kind, "") for kind in ("text/plain", "text/markdown"))
    return "\n".join(texts)


def _artifact_paths(client: Any, run_id: str, path: str | None = None) -> list[str]:
    """Every file the run logged, read from MLflow by this process."""
    paths = []
    for item in client.list_artifacts(run_id, path):
        if item.is_dir:
            paths.extend(_artifact_paths(client, run_id, item.path))
        else:
            paths.append(item.path)
    return paths


def test_explore_recipe_notebook(notebook_env: Path, tmp_path: Path):
    nb, probe = _execute(
        "01_explore_recipe.ipynb",
        notebook_env,
        tmp_path,
        parameters='recipe = "uplift_model_exp3"',
        probe=(
            "'recipe': resolved.name, 'recipe_file': str(resolved.path), "
            "'model': spec.model.class_path, 'treatment': interface.treatment_col, "
            "'spine_rows': len(spine), "
            "'augmented_rows': len(augmented), "
            "'same_order': augmented['session_id'].tolist() == spine['session_id'].tolist(), "
            "'features': feature_names, 'summary_rows': list(summary.index), "
            "'groups': sorted(balance.index)"
        ),
    )

    # The recipe the notebook loaded is the project copy's file of that name.
    recipe_file = notebook_env / "recipes" / "uplift_model_exp3.yaml"
    written = yaml.safe_load(recipe_file.read_text())
    assert probe["recipe"] == "uplift_model_exp3"
    # (a path relative to the project root, as the recipe's own paths are)
    assert (notebook_env / probe["recipe_file"]).resolve() == recipe_file.resolve()
    assert probe["model"] == written["model"]["class_path"]
    assert probe["treatment"] == written["data_interface"]["treatment_col"]
    assert probe["spine_rows"] > 0
    assert probe["augmented_rows"] == probe["spine_rows"]
    assert probe["same_order"]
    assert probe["features"] == list(SAMPLE_FEATURES)
    assert probe["summary_rows"] == probe["features"]
    assert probe["groups"] == ["control", "treatment"]
    texts = _texts(nb)
    assert "causalml.inference.meta.XGBTRegressor" in texts
    assert "missing_rate" in texts
    plots = [o for o in _outputs(nb) if "image/png" in o.get("data", {})]
    assert len(plots) >= 2  # outcome by group, feature distributions


def test_inspect_trained_run_notebook(
    notebook_env: Path, trained_runs: dict[str, str], tmp_path: Path
):
    run_id = trained_runs["uplift_model_exp3"]
    nb, probe = _execute(
        "02_inspect_trained_run.ipynb",
        notebook_env,
        tmp_path,
        parameters=f"run_id = {run_id!r}",
        probe=(
            "'fetched_run_id': run.info.run_id, 'run_recipe': run.data.tags.get('recipe'), "
            "'n_rows': n_rows, 'rows': len(predictions), "
            "'columns': list(predictions.columns), "
            "'missing_scores': int(predictions['uplift_score'].isna().sum()), "
            "'artifacts': list(artifacts['path']), 'trials': len(trials), "
            "'best_params': sorted(hpo['best_params']), 'metrics': sorted(metrics.index)"
        ),
    )

    # What MLflow itself holds for the run, to hold the notebook's findings against.
    client = mlflow_client(notebook_env)
    logged = client.get_run(run_id)
    logged_pngs = sorted(
        path for path in _artifact_paths(client, run_id) if path.endswith(".png")
    )
    assert logged_pngs, "the trained run logged no plots to show"

    assert probe["fetched_run_id"] == run_id
    assert probe["run_recipe"] == "uplift_model_exp3"
    texts = _texts(nb)
    assert (
        f"run id: `{run_id}`, name `{logged.info.run_name}`, status FINISHED" in texts
    )
    assert probe["rows"] == probe["n_rows"] > 0
    assert {"session_id", "event_timestamp", "uplift_score"} <= set(probe["columns"])
    assert probe["missing_scores"] == 0
    assert "hyperparameter_optimization.json" in probe["artifacts"]
    assert "loader_sql_snapshot.sql" in probe["artifacts"]
    assert probe["trials"] > 0
    assert {"learning_rate", "max_depth", "n_estimators"} <= set(probe["best_params"])
    assert probe["metrics"] == sorted(logged.data.metrics)
    assert "auuc" in probe["metrics"]
    # Every plot the run logged is listed and shown: none is not a pass.
    pngs = sorted(path for path in probe["artifacts"] if path.endswith(".png"))
    assert pngs == logged_pngs
    images = [o for o in _outputs(nb) if "image/png" in o.get("data", {})]
    assert len(images) == len(logged_pngs)
    assert "This run logged no PNG artifacts." not in texts
