"""Creates the run's MLflow experiment before kedro-mlflow looks for it."""

from __future__ import annotations

import mlflow
from kedro.config import MissingConfigException
from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl
from mlflow import MlflowClient

from mmp_kedro.services.preflight import resolved_config
from mmp_kedro.services.tracking import ensure_experiment


class ExperimentHook:
    """The experiment of ``mlflow.yml`` exists before kedro-mlflow's set-up, which
    looks it up and then creates it: two first runs at once would both create it,
    and the second would fail on the store's unique name."""

    @hook_impl(tryfirst=True)
    def after_context_created(self, context: KedroContext) -> None:
        # Imported here, once kedro-mlflow's plugin has imported it under the
        # project's warning filters: at settings' import it warns (pydantic).
        from kedro_mlflow.config.kedro_mlflow_config import (
            KedroMlflowConfig,
            _validate_uri,
        )

        if mlflow.active_run() is not None:  # kedro-mlflow then ignores mlflow.yml
            return
        try:
            config = KedroMlflowConfig.model_validate(
                resolved_config(context.config_loader, "mlflow")
            )
        except MissingConfigException:
            return
        experiment = config.tracking.experiment
        # No name: kedro-mlflow names it after the package. Credentials: the client
        # can log in only once kedro-mlflow has exported them.
        if experiment.name is None or config.server.credentials is not None:
            return
        location = experiment.create_experiment_kwargs.artifact_location
        ensure_experiment(
            MlflowClient(
                tracking_uri=_validate_uri(
                    context.project_path, config.server.mlflow_tracking_uri
                )
            ),
            experiment.name,
            artifact_location=location
            and _validate_uri(context.project_path, location),
            tags=experiment.create_experiment_kwargs.tags,
        )
