"""``batch_inference``: the artifact's loader SQL and model, by MLflow run id only.

kedro run --pipelines batch_inference --params run_id=<id>,start_date=...,end_date=...
"""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines import drift, run_spine
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
            Pipeline(
                drift.create_pipeline(),
                inputs={
                    "scored_features": "batch_intermediates",
                    "scored_predictions": "batch_predictions",
                },
                outputs={"drift_report": "batch_drift_report"},
            ),
        ],
        namespace="batch_inference",
        inputs={"spine_loader"},
        parameters={"run_id", "model_uri", "drift_monitoring"},
        outputs={"batch_predictions", "batch_intermediates", "batch_drift_report"},
    )
