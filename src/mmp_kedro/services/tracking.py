"""The MLflow experiment a run tracks into, created once however many runs start."""

from __future__ import annotations

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode


def ensure_experiment(
    client: MlflowClient,
    name: str,
    artifact_location: str | None = None,
    tags: dict[str, str] | None = None,
) -> str:
    """The id of experiment ``name``, created if it does not exist yet.

    When another process creates it between our lookup and our create (two first
    runs of a project at once), the store refuses the second create; that one is
    looked up instead of failing the run.
    """
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    try:
        return client.create_experiment(
            name, artifact_location=artifact_location, tags=tags
        )
    except MlflowException as err:
        if err.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise
        created = client.get_experiment_by_name(name)
        if created is None:
            raise
        return created.experiment_id
