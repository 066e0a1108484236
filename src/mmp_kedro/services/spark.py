"""A Spark session built from ``spark.yml`` (pyspark imported only here, when used)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from mmp_kedro.config.spark import SparkSettings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def start_spark_session(
    settings: SparkSettings, executor_env: dict[str, str]
) -> SparkSession:
    """The process's Spark session, configured by ``settings``, with ``executor_env``
    set in every executor's environment (where the artifact is loaded).

    Spark's Python workers run this interpreter unless ``PYSPARK_PYTHON`` names
    another (a cluster's); PySpark reads only the variable, not a Spark property.
    """
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(settings.master).appName(settings.app_name)
    for key, value in settings.spark_conf().items():
        builder = builder.config(key, value)
    for name, value in executor_env.items():
        builder = builder.config(f"spark.executorEnv.{name}", value)
    return builder.getOrCreate()
