"""How the wrapped artifact is logged: its requirements, code and signature."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd
from mlflow.models import ModelSignature, infer_signature
from mlflow.types import ColSpec, Schema

import mmp_kedro
from mmp_kedro.inference_runner import InferenceRunner

#: Distributions the artifact needs at predict time (pinned to what trained it).
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
    "feast",
    "sqlglot",
    "pyyaml",
    "pluggy",  # pinned below 1.7 for predict speed (see pyproject.toml)
)

#: Predict-time params of the artifact, with their defaults. The default runner is the
#: artifact's own (:class:`~mmp_kedro.inference_runner.InferenceRunner`); kedro-mlflow
#: picks it by class name, and ``"SequentialRunner"`` selects Kedro's.
INFERENCE_PARAMS = {
    "run_mode": "batch",
    "return_intermediate": False,
    "runner": InferenceRunner.__name__,
}


def pip_requirements() -> list[str]:
    """Pinned requirements; listing them skips MLflow's slow inference subprocess."""
    pinned = []
    for name in RUNTIME_DISTRIBUTIONS:
        try:
            pinned.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            continue
    return pinned


def code_paths() -> list[str]:
    """The project package, shipped inside the artifact so it loads anywhere."""
    return [str(Path(mmp_kedro.__file__).parent)]


def build_signature(spine: pd.DataFrame, optional_columns: list[str]) -> ModelSignature:
    """Spine columns in, with target/treatment optional; run_mode/return_intermediate params."""
    inferred = infer_signature(model_input=spine.head(200), params=INFERENCE_PARAMS)
    inputs = Schema(
        [
            ColSpec(
                type=col.type, name=col.name, required=col.name not in optional_columns
            )
            for col in inferred.inputs.inputs
        ]
    )
    return ModelSignature(inputs=inputs, params=inferred.params)
