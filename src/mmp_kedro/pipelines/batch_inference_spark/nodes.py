"""Batch scoring on Spark: the run's own artifact, as a Spark UDF, over the run's
own spine."""

from __future__ import annotations

import functools
from typing import Any

import mlflow
from mlflow.types import Schema

from mmp_kedro.artifact import contract
from mmp_kedro.recipe.schema import PREDICTION_COLUMNS
from mmp_kedro.spine import SpineChunks

try:  # the `spark` extra; without it every other pipeline still loads
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql import functions as F
except ImportError:
    DataFrame = Any  # type: ignore[misc,assignment]

#: The struct column the UDF's output is held in before it is spread into columns.
_SCORED = "__scored"

#: Spark SQL types of the MLflow column types a prediction can have.
_SPARK_TYPES = {
    "boolean": "boolean",
    "integer": "int",
    "long": "bigint",
    "float": "float",
    "double": "double",
    "string": "string",
    "datetime": "timestamp",
}


def distribute_spine(spine_chunks: SpineChunks) -> DataFrame:
    """The window's spine as a Spark DataFrame, read from the loader SQL chunk by
    chunk (Arrow batches, ``batch_scoring.chunk_rows`` rows at a time)."""
    spark = SparkSession.active()
    frames = [spark.createDataFrame(chunk) for chunk in spine_chunks]
    return functools.reduce(lambda left, right: left.unionByName(right), frames)


def score_spine_on_spark(spine: DataFrame, run_id: str) -> DataFrame:
    """The spine's columns, the artifact's prediction columns and ``model_run_id``,
    one row per spine row: what ``batch_inference`` writes as ``batch_predictions``.

    The artifact runs in each executor with ``run_mode=batch``: per Arrow batch of
    rows, Feast's offline store joins the features point-in-time, then the fitted
    preprocessor and model predict, as they do for one chunk on one machine.
    """
    model_uri = contract.model_uri(run_id)
    task_type = contract.read_run_json(run_id, "model_metadata.json")["task_type"]
    predicted = PREDICTION_COLUMNS[task_type]
    output_schema = mlflow.models.get_model_info(model_uri).signature.outputs
    predict = mlflow.pyfunc.spark_udf(
        spine.sparkSession,
        model_uri,
        result_type=spark_result_type(output_schema, predicted),
        env_manager="local",
        params={"run_mode": "batch"},
    )
    scored = spine.withColumn(_SCORED, predict(F.struct(*spine.columns)))
    return scored.select(
        *spine.columns,
        *(F.col(f"`{_SCORED}`.`{name}`").alias(name) for name in predicted),
        F.lit(run_id).alias("model_run_id"),
    )


def spark_result_type(output_schema: Schema, columns: list[str]) -> str:
    """The Spark DDL of ``columns`` (``"prediction bigint, probability float"``),
    typed as the artifact's signature types its output.

    Raises:
        ValueError: a column the signature does not have, or of a type Spark
            cannot hold as a column.
    """
    types = {
        spec.name: getattr(spec.type, "name", str(spec.type))
        for spec in output_schema.inputs
    }
    fields = []
    for name in columns:
        if name not in types or types[name] not in _SPARK_TYPES:
            raise ValueError(
                f"the artifact's output schema types {name!r} as "
                f"{types.get(name, 'nothing')}; expected one of {sorted(_SPARK_TYPES)}"
            )
        fields.append(f"`{name}` {_SPARK_TYPES[types[name]]}")
    return ", ".join(fields)
