"""``artifact.logged_model``: what the artifact's requirements.txt pins and what the
pyfunc model is logged with.

The end-to-end check (a model loaded in a fresh process imports nothing its
requirements would not install) is in ``tests/pipelines/train/test_train_e2e.py``.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement

from mmp_kedro.artifact.contract import MODEL_ARTIFACT_PATH
from mmp_kedro.artifact.logged_model import (
    RUNNER_PARAM,
    code_paths,
    log_model_kwargs,
    pip_requirements,
    pipeline_model_kwargs,
)
from mmp_kedro.runtime.inference_runner import InferenceRunner


def test_requirements_are_pinned_with_the_projects_extras() -> None:
    requirements = {
        Requirement(line).name: Requirement(line) for line in pip_requirements()
    }
    feast = requirements["feast"]
    # The stores of every env are optional dependencies of Feast.
    assert {"redis", "postgres", "duckdb", "gcp"} <= feast.extras
    assert str(feast.specifier) == f"=={version('feast')}"
    assert all(str(r.specifier).startswith("==") for r in requirements.values())


def test_training_only_libraries_are_not_required() -> None:
    """Inference never imports the search (Optuna) or the plots (matplotlib)."""
    names = {Requirement(line).name for line in pip_requirements()}
    assert not names & {"optuna", "matplotlib", "kedro-viz"}


def test_the_artifact_ships_the_package_without_the_sample_data_generator() -> None:
    (package,) = (Path(path) for path in code_paths())
    assert package.name == "mmp_kedro" and (package / "settings.py").is_file()
    shipped = {path.stem for path in package.rglob("*.py")}
    assert "sample_data" not in shipped


def test_the_runner_param_defaults_to_the_artifact_runner() -> None:
    assert RUNNER_PARAM == {"runner": "InferenceRunner"}
    kwargs = pipeline_model_kwargs()
    assert isinstance(kwargs["runner"], InferenceRunner)
    assert log_model_kwargs()["name"] == MODEL_ARTIFACT_PATH
