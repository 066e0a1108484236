"""Starts Spark for runs that need it, configured by the env's ``spark.yml``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl
from kedro.pipeline import Pipeline

from mmp_kedro.config.spark import SPARK_NODE_TAG, parse_spark_settings
from mmp_kedro.services.preflight import resolved_config
from mmp_kedro.services.spark import start_spark_session

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class SparkSessionHook:
    """A Spark session for a run with nodes tagged ``spark``, stopped when the run
    ends; other runs never start a JVM.

    Executors load the artifact outside any Kedro session, so they are told this
    run's project and env (``MMP_PROJECT_PATH``, ``KEDRO_ENV``) to bind its
    feature store.
    """

    def __init__(self) -> None:
        self._context: KedroContext | None = None
        self._session: SparkSession | None = None

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        self._context = context

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, pipeline: Pipeline) -> None:
        context = self._context
        if context is None or not any(SPARK_NODE_TAG in n.tags for n in pipeline.nodes):
            return
        loader = context.config_loader
        env = loader.env or loader.default_run_env
        settings = parse_spark_settings(resolved_config(loader, "spark"), env)
        self._session = start_spark_session(
            settings,
            {"MMP_PROJECT_PATH": str(context.project_path), "KEDRO_ENV": env},
        )

    @hook_impl
    def after_pipeline_run(self) -> None:
        self._stop()

    @hook_impl
    def on_pipeline_error(self) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._session is not None:
            self._session.stop()
            self._session = None
