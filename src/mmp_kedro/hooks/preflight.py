"""Fails a session at once when the env's credentials or MLflow server are unusable."""

from __future__ import annotations

from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl

from mmp_kedro.services.preflight import check_tracking_server


class PreflightHook:
    """Every credential variable set, and the MLflow server answering, before
    kedro-mlflow talks to it (its client would retry for minutes)."""

    @hook_impl(tryfirst=True)
    def after_context_created(self, context: KedroContext) -> None:
        check_tracking_server(context.config_loader)
