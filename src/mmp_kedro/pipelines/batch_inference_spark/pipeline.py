"""``batch_inference_spark``: the artifact's loader SQL and model on Apache Spark, by
MLflow run id only.

kedro run --pipelines batch_inference_spark --params run_id=<id>,start_date=...,end_date=...

The run's artifact scores the spine as a Spark UDF (``mlflow.pyfunc.spark_udf``);
each Arrow batch is joined point-in-time by the artifact in Feast's offline store,
as ``batch_inference`` joins each chunk. Spark runs where ``spark.yml`` says.
"""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.config.spark import SPARK_NODE_TAG
from mmp_kedro.pipelines import run_spine
from mmp_kedro.pipelines.batch_inference_spark.nodes import (
    distribute_spine,
    score_spine_on_spark,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            run_spine.create_pipeline(in_chunks=True),
            Node(
                distribute_spine,
                inputs="spine_chunks",
                outputs="spark_spine",
                name="distribute_spine",
                tags=SPARK_NODE_TAG,
            ),
            Node(
                score_spine_on_spark,
                inputs=["spark_spine", "run_id"],
                outputs="batch_predictions_spark",
                name="score_spine_on_spark",
                tags=SPARK_NODE_TAG,
            ),
        ],
        namespace="batch_inference_spark",
        inputs={"spine_loader"},
        parameters={"run_id", "model_uri", "batch_scoring"},
        outputs={"batch_predictions_spark"},
    )
