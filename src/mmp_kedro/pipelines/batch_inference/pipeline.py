"""``batch_inference``: the artifact's loader SQL and model, by MLflow run id only.

kedro run --pipelines batch_inference --params run_id=<id>,start_date=...,end_date=...

The window is read, scored and written ``batch_scoring.chunk_rows`` rows at a time;
its drift is counted chunk by chunk too.
"""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines import drift, run_spine
from mmp_kedro.pipelines.batch_inference.nodes import predict_batch


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            run_spine.create_pipeline(in_chunks=True),
            Node(
                predict_batch,
                inputs=[
                    "spine_chunks",
                    "run_id",
                    "reference_tally",
                    "params:batch_scoring",
                ],
                outputs=["batch_predictions", "batch_intermediates", "window_tally"],
                # Both outputs are staged; swapped in only once both were written.
                confirms=["batch_predictions", "batch_intermediates"],
                name="predict_batch",
            ),
            Pipeline(
                drift.create_pipeline(scored_in_chunks=True),
                outputs={"drift_report": "batch_drift_report"},
            ),
        ],
        namespace="batch_inference",
        inputs={"spine_loader"},
        parameters={"run_id", "model_uri", "drift_monitoring", "batch_scoring"},
        outputs={"batch_predictions", "batch_intermediates", "batch_drift_report"},
    )
