"""``SparkSessionHook``: Spark starts only for a run with nodes tagged ``spark``,
configured by ``spark.yml``, its Python workers told the run's project and env."""

from __future__ import annotations

import os

from kedro.pipeline import Node, Pipeline
from pyspark.sql import SparkSession

from mmp_kedro.config.spark import SPARK_NODE_TAG
from mmp_kedro.hooks.spark_session import SparkSessionHook


def _identity(x):
    return x


def _pipeline(*tags: str) -> Pipeline:
    return Pipeline([Node(_identity, "a", "b", name="step", tags=list(tags))])


def _worker_env(spark: SparkSession) -> dict[str, str]:
    names = ("MMP_PROJECT_PATH", "KEDRO_ENV")
    rows = spark.sparkContext.parallelize([0], 1).map(
        lambda _: {name: os.environ.get(name, "") for name in names}
    )
    return rows.collect()[0]


def test_a_run_without_spark_nodes_starts_no_spark(kedro_context):
    hook = SparkSessionHook()
    hook.after_context_created(kedro_context("local"))
    hook.before_pipeline_run(_pipeline("other"))
    assert SparkSession.getActiveSession() is None


def test_a_spark_run_gets_a_configured_session_stopped_at_its_end(
    kedro_context, local_project, monkeypatch
):
    for name in ("SPARK_MASTER", "SPARK_DRIVER_HOST"):
        monkeypatch.delenv(name, raising=False)
    hook = SparkSessionHook()
    hook.after_context_created(kedro_context("local"))
    hook.before_pipeline_run(_pipeline(SPARK_NODE_TAG))
    spark = SparkSession.getActiveSession()
    try:
        assert spark is not None
        assert spark.conf.get("spark.master") == "local[2]"
        assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
        assert spark.conf.get("spark.driver.host") == "127.0.0.1"
        assert _worker_env(spark) == {
            "MMP_PROJECT_PATH": str(local_project),
            "KEDRO_ENV": "local",
        }
    finally:
        hook.after_pipeline_run()
    assert SparkSession.getActiveSession() is None
