"""``batch_inference``: the artifact's loader SQL and model, by MLflow run id only."""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines.batch_inference.nodes import (
    fetch_loader_sql,
    load_batch_spine,
    predict_batch,
    require_run_id,
)


def run_spine_nodes(namespace: str, prefix: str) -> list[Node]:
    """``params:run_id`` -> ``<prefix>_run_id`` -> the run's loader SQL snapshot
    (``<prefix>_loader_sql``) -> its rows for this run's parameters (``<prefix>_spine``):
    the start of every pipeline that works from a trained run."""
    return [
        Node(
            require_run_id,
            inputs="params:run_id",
            outputs=f"{prefix}_run_id",
            name="require_run_id",
            namespace=namespace,
        ),
        Node(
            fetch_loader_sql,
            inputs=f"{prefix}_run_id",
            outputs=f"{prefix}_loader_sql",
            name="fetch_loader_sql",
            namespace=namespace,
        ),
        Node(
            load_batch_spine,
            inputs=["spine_loader", f"{prefix}_loader_sql", "parameters"],
            outputs=f"{prefix}_spine",
            name="load_batch_spine",
            namespace=namespace,
        ),
    ]


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            *run_spine_nodes("batch_inference", "batch"),
            Node(
                predict_batch,
                inputs=["batch_spine", "batch_run_id"],
                outputs=["batch_predictions", "batch_intermediates"],
                name="predict_batch",
                namespace="batch_inference",
            ),
        ],
    )
