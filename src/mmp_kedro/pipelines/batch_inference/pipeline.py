"""``batch_inference``: the artifact's loader SQL and model, by MLflow run id only."""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines.batch_inference.nodes import (
    fetch_loader_sql,
    load_batch_spine,
    predict_batch,
    require_run_id,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                require_run_id,
                inputs="params:run_id",
                outputs="batch_run_id",
                name="require_run_id",
                namespace="batch_inference",
            ),
            Node(
                fetch_loader_sql,
                inputs="batch_run_id",
                outputs="batch_loader_sql",
                name="fetch_loader_sql",
                namespace="batch_inference",
            ),
            Node(
                load_batch_spine,
                inputs=["spine_loader", "batch_loader_sql", "parameters"],
                outputs="batch_spine",
                name="load_batch_spine",
                namespace="batch_inference",
            ),
            Node(
                predict_batch,
                inputs=["batch_spine", "batch_run_id"],
                outputs=["batch_predictions", "batch_intermediates"],
                name="predict_batch",
                namespace="batch_inference",
            ),
        ],
    )
