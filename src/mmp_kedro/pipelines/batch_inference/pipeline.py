"""``batch_inference``: the artifact's loader SQL and model, by MLflow run id only.

kedro run --pipelines batch_inference --params run_id=<id>,start_date=...,end_date=...
"""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines import run_spine
from mmp_kedro.pipelines.batch_inference.nodes import predict_batch


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            run_spine.create_pipeline(),
            Node(
                predict_batch,
                inputs=["spine", "run_id"],
                outputs=["batch_predictions", "batch_intermediates"],
                # Both outputs are staged; swapped in only once both were written.
                confirms=["batch_predictions", "batch_intermediates"],
                name="predict_batch",
            ),
        ],
        namespace="batch_inference",
        inputs={"spine_loader"},
        parameters={"run_id", "model_uri"},
        outputs={"batch_predictions", "batch_intermediates"},
    )
