"""How the pyfunc model is logged: its runner, requirements, code and signature."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, requires, version
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow.models import ModelSignature, infer_signature
from mlflow.types import ColSpec, Schema
from mlflow.types.schema import AnyType
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import mmp_kedro
from mmp_kedro.artifact.contract import MODEL_ARTIFACT_PATH
from mmp_kedro.runtime.inference_runner import InferenceRunner
from mmp_kedro.spine import EVENT_TIMESTAMP

#: Distributions the artifact imports at load and predict time (pinned to what trained
#: it; ``tests/pipelines/train/test_train_e2e.py`` loads a model in a fresh process and
#: holds every distribution it imports to these and their dependencies). Training's
#: own libraries (optuna, matplotlib) are not among them.
RUNTIME_DISTRIBUTIONS = (
    "kedro",
    "kedro-datasets",
    "kedro-mlflow",
    "mlflow",
    "pandas",
    "numpy",
    "scikit-learn",
    "xgboost",
    "lightgbm",
    "causalml",
    "feast",  # with the project's extras: the offline and online stores of every env
    "sqlglot",
    "pyyaml",
    "pluggy",  # pinned below 1.7 for predict speed (see pyproject.toml)
)

#: The predict-time param that picks the runner; its default is the artifact's own
#: (:class:`~mmp_kedro.runtime.inference_runner.InferenceRunner`). kedro-mlflow picks
#: it by class name, and ``"SequentialRunner"`` selects Kedro's.
RUNNER_PARAM = {"runner": InferenceRunner.__name__}


def pipeline_model_kwargs() -> dict[str, Any]:
    """``kpm_kwargs`` of ``pipeline_ml_factory``: the runner the artifact predicts with."""
    return {"runner": InferenceRunner()}


def log_model_kwargs() -> dict[str, Any]:
    """``log_model_kwargs`` of ``pipeline_ml_factory``.

    The signature is replaced after training (``MlflowRunHook``), once the spine's
    columns are known; "auto" is kedro-mlflow's fallback.
    """
    return {
        "name": MODEL_ARTIFACT_PATH,
        "signature": "auto",
        "pip_requirements": pip_requirements(),
        "code_paths": code_paths(),
    }


def pip_requirements() -> list[str]:
    """Pinned requirements; listing them skips MLflow's slow inference subprocess.

    Each is pinned to the installed version, with the extras this project asks for
    (``feast[redis,postgres,...]``: the stores are optional dependencies of Feast).
    """
    extras = _project_extras()
    pinned = []
    for name in RUNTIME_DISTRIBUTIONS:
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue
        wanted = extras.get(canonicalize_name(name))
        pinned.append(
            f"{name}[{','.join(wanted)}]=={installed}"
            if wanted
            else f"{name}=={installed}"
        )
    return pinned


def _project_extras() -> dict[str, list[str]]:
    """The extras each dependency is required with in this project's metadata."""
    try:
        lines = requires(mmp_kedro.__name__) or []  # names are matched normalised
    except PackageNotFoundError:  # run from a source tree that is not installed
        return {}
    extras = {}
    for line in lines:
        requirement = Requirement(line)
        if requirement.extras and not requirement.marker:
            extras[canonicalize_name(requirement.name)] = sorted(requirement.extras)
    return extras


def code_paths() -> list[str]:
    """The project package, shipped inside the artifact so it loads anywhere."""
    return [str(Path(mmp_kedro.__file__).parent)]


def build_signature(
    spine: pd.DataFrame, optional_columns: list[str], params: dict[str, Any]
) -> ModelSignature:
    """Spine columns in, with target/treatment optional; the inference pipeline's
    ``params`` (their conf values as defaults) and the runner as predict-time params."""
    inferred = infer_signature(
        model_input=spine.head(200), params={**params, **RUNNER_PARAM}
    )
    inputs = Schema(
        [
            ColSpec(
                # MLflow's datetime refuses time-zone aware values; the first node
                # converts either kind to naive UTC.
                type=AnyType() if col.name == EVENT_TIMESTAMP else col.type,
                name=col.name,
                required=col.name not in optional_columns,
            )
            for col in inferred.inputs.inputs
        ]
    )
    return ModelSignature(inputs=inputs, params=inferred.params)
