"""How the pyfunc model is logged: its runner, requirements, code and signature."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, requires, version
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import CatalogProtocol
from kedro.pipeline import Pipeline
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

#: Training spine rows the inference pipeline predicts when the model is logged, for
#: the output schema: enough for MLflow to infer each column's type, few enough to
#: take milliseconds.
OUTPUT_SAMPLE_ROWS = 20


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


def default_output(
    inference: Pipeline,
    input_name: str,
    spine: pd.DataFrame,
    computed: set[str],
    catalog: CatalogProtocol,
    rows: int = OUTPUT_SAMPLE_ROWS,
) -> pd.DataFrame:
    """What the artifact's predict returns for the spine's first ``rows`` when given
    no params: ``inference`` run on them with the run's params (the signature's
    defaults), as the artifact runs it.

    The inference datasets the training run has already computed (``computed``: the
    augmented spine) are read from ``catalog``, their first ``rows`` too, instead of
    being recomputed, so no feature store is read again. They keep the spine's row
    order and count (``augment_features``), so the rows still match.
    """
    reused = inference.all_outputs() & computed
    remaining = inference.only_nodes(
        *(node.name for node in inference.nodes if not set(node.outputs) <= reused)
    )
    inputs: dict[str, Any] = {}
    for name in remaining.inputs():
        if name == input_name:
            inputs[name] = spine.head(rows)
        elif name in reused:
            inputs[name] = _first_rows(catalog.load(name), rows)
        else:  # a fitted input (model, preprocessor...) or a param
            inputs[name] = catalog.load(name)
    (output,) = InferenceRunner.run_nodes(remaining, inputs).values()
    return output


def _first_rows(value: Any, rows: int) -> Any:
    return value.head(rows) if isinstance(value, pd.DataFrame) else value


def build_signature(
    spine: pd.DataFrame,
    optional_columns: list[str],
    params: dict[str, Any],
    output: pd.DataFrame | None,
) -> ModelSignature:
    """Spine columns in, with target/treatment optional; the columns of ``output``
    (:func:`default_output`) out, or no output schema when it is None; the inference
    pipeline's ``params`` (their conf values as defaults) and the runner as
    predict-time params.

    MLflow enforces the input schema at predict time, never the output schema: the
    frame ``return_intermediate=True`` returns, with more columns, is not checked.
    """
    inferred = infer_signature(
        model_input=spine.head(200),
        model_output=output,
        params={**params, **RUNNER_PARAM},
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
    outputs = None if output is None else _output_schema(inferred.outputs, inputs)
    return ModelSignature(inputs=inputs, outputs=outputs, params=inferred.params)


def _output_schema(inferred: Schema, inputs: Schema) -> Schema:
    """The output's columns: a spine column as the input schema declares it (predict
    passes the caller's column through: a label column may be absent, the timestamp
    as given), any other column (a prediction) as inferred from the output."""
    passed_through = {col.name: col for col in inputs.inputs}
    return Schema([passed_through.get(col.name, col) for col in inferred.inputs])
