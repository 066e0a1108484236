"""``mlflow_model``: what the artifact's requirements.txt pins.

The end-to-end check (a model loaded in a fresh process imports nothing its
requirements would not install) is in ``tests/pipelines/train/test_train_e2e.py``.
"""

from __future__ import annotations

from importlib.metadata import version

from packaging.requirements import Requirement

from mmp_kedro.mlflow_model import pip_requirements


def test_requirements_are_pinned_with_the_projects_extras() -> None:
    requirements = {
        Requirement(line).name: Requirement(line) for line in pip_requirements()
    }
    feast = requirements["feast"]
    # The stores of every env are optional dependencies of Feast.
    assert {"redis", "postgres", "duckdb", "gcp"} <= feast.extras
    assert str(feast.specifier) == f"=={version('feast')}"
    # Loading the package nodes imports the training module, which imports Optuna.
    assert str(requirements["optuna"].specifier) == f"=={version('optuna')}"
    assert all(str(r.specifier).startswith("==") for r in requirements.values())
