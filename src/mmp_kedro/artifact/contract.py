"""The artifact contract: the files a training run logs, and reading them by run id.

Batch inference, evaluate and serving need only a run id: everything they use comes
from these files of the run (the snapshots are written by the catalog entries of the
same names in ``conf/base/catalog.yml``), never from ``recipes/``.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import yaml
from mlflow.exceptions import MlflowException

from mmp_kedro.recipe.schema import Recipe
from mmp_kedro.runtime.pipeline_predictor import FramePredictor
from mmp_kedro.runtime.shared_inputs import share_fitted_inputs
from mmp_kedro.services.redaction import redacted_text, redacted_url

#: Artifact path of the pyfunc model inside the run: ``runs:/<run_id>/model``.
MODEL_ARTIFACT_PATH = "model"

LOADER_SQL_SNAPSHOT = "loader_sql_snapshot.sql"
AUGMENTER_CONFIG_SNAPSHOT = "augmenter_config_snapshot.yaml"
RECIPE_YAML_SNAPSHOT = "recipe_yaml_snapshot.yaml"
HYPERPARAMETER_OPTIMIZATION = "hyperparameter_optimization.json"
TRAINING_METHODOLOGY = "training_methodology.json"
MODEL_METADATA = "model_metadata.json"
#: The training window's feature and prediction distributions (drift reference).
DRIFT_REFERENCE = "drift_reference.json"

#: Every file a training run logs beside the model, at the run's artifact root.
RUN_FILES = (
    LOADER_SQL_SNAPSHOT,
    AUGMENTER_CONFIG_SNAPSHOT,
    RECIPE_YAML_SNAPSHOT,
    HYPERPARAMETER_OPTIMIZATION,
    TRAINING_METHODOLOGY,
    MODEL_METADATA,
)

#: The inference pipeline's inputs that training fitted: read-only once logged.
FITTED_INPUTS = ("augmenter_config", "preprocessor", "model")

#: The tag of a run that did not finish, saying why (an interruption, a crash).
END_REASON_TAG = "mmp.end_reason"

_NOT_A_TRAIN_RUN = "is it a finished run of `kedro run --pipelines train` in this env?"


def model_uri(run_id: str) -> str:
    """The pyfunc model of ``run_id``."""
    return f"runs:/{run_id}/{MODEL_ARTIFACT_PATH}"


def require_finished_run(run_id: str) -> None:
    """Refuse a run that is unknown or not FINISHED: a FAILED, KILLED or RUNNING
    run may have no model, or one whose files do not belong together.

    Raises:
        ValueError: one line naming the run, its status and why it ended.
    """
    where = redacted_url(mlflow.get_tracking_uri())
    try:
        run = mlflow.MlflowClient().get_run(run_id)
    except MlflowException as err:
        if err.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise ValueError(
                f"run '{run_id}' does not exist on the MLflow tracking server at "
                f"{where!r}: pass the run id of a finished training run"
            ) from None
        raise ValueError(
            f"the MLflow tracking server at {where!r} could not give run "
            f"'{run_id}': {redacted_text(str(err.message).splitlines()[0])}"
        ) from None
    check_finished(run)


def check_finished(run: Any) -> None:
    """Refuse an MLflow ``Run`` whose status is not FINISHED (see
    :func:`require_finished_run`)."""
    status = run.info.status
    if status == "FINISHED":
        return
    reason = run.data.tags.get(END_REASON_TAG)
    why = f" ({reason})" if reason else ""
    raise ValueError(
        f"run '{run.info.run_id}' is {status}{why}, not FINISHED: it has no complete "
        "model; use a finished run of `kedro run --pipelines train`"
    )


def read_run_text(run_id: str, name: str) -> str:
    """The text of the run's file ``name``, or a message saying what is wrong.

    Raises:
        ValueError: the tracking server has no such file for the run.
    """
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=name, dst_path=tmp
            )
        except MlflowException as err:
            raise ValueError(
                f"run '{run_id}' has no {name} in the MLflow tracking server "
                f"at {redacted_url(mlflow.get_tracking_uri())!r}: {_NOT_A_TRAIN_RUN} "
                f"({redacted_text(err.message)})"
            ) from None
        return Path(path).read_text(encoding="utf-8")


def run_has_file(run_id: str, name: str) -> bool:
    """Whether the run logged the top-level file ``name`` (a run trained before the
    file was part of the contract has not)."""
    return any(
        entry.path == name for entry in mlflow.MlflowClient().list_artifacts(run_id)
    )


def read_run_json(run_id: str, name: str) -> dict[str, Any]:
    """The run's JSON file ``name`` (see :func:`read_run_text`)."""
    return json.loads(read_run_text(run_id, name))


def read_run_yaml(run_id: str, name: str) -> Any:
    """The run's YAML file ``name`` (see :func:`read_run_text`)."""
    return yaml.safe_load(read_run_text(run_id, name))


def read_recipe_snapshot(run_id: str) -> Recipe:
    """The recipe the run was trained with (its ``recipe_yaml_snapshot``)."""
    return Recipe.model_validate(read_run_yaml(run_id, RECIPE_YAML_SNAPSHOT))


def load_model(run_id: str) -> mlflow.pyfunc.PyFuncModel:
    """The run's pyfunc model, its fitted inputs shared by every ``predict`` call.

    Raises:
        ValueError: the run has no model the tracking server can hand out.
    """
    try:
        model = mlflow.pyfunc.load_model(model_uri(run_id))
    except (MlflowException, OSError) as err:
        raise ValueError(
            f"run '{run_id}' has no loadable model in the MLflow tracking server at "
            f"{redacted_url(mlflow.get_tracking_uri())!r}: {_NOT_A_TRAIN_RUN} "
            f"({redacted_text(str(err).splitlines()[0])})"
        ) from None
    share_fitted_inputs(model.unwrap_python_model(), FITTED_INPUTS)
    return model


def frame_predictor(model: mlflow.pyfunc.PyFuncModel) -> FramePredictor:
    """``model.predict`` for many large frames of one window (batch chunks): the
    same input checks, params and nodes, set up once (why:
    :class:`~mmp_kedro.runtime.pipeline_predictor.FramePredictor`)."""
    return FramePredictor(model)


@dataclass(frozen=True)
class FittedInputs:
    """What training fitted, as the artifact's inference pipeline receives it."""

    augmenter_config: dict[str, Any]
    preprocessor: Any
    model: Any


def fitted_inputs(model: mlflow.pyfunc.PyFuncModel) -> FittedInputs:
    """The augmenter config, preprocessor and model inside a loaded artifact."""
    catalog = model.unwrap_python_model().loaded_catalog
    return FittedInputs(*(catalog.load(name) for name in FITTED_INPUTS))
