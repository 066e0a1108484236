"""``drift``: a scored window's features and prediction against the run's training
window. It has no namespace of its own: ``batch_inference`` and ``evaluate`` wrap it
in theirs, mapping ``scored_features``, ``scored_predictions`` and ``drift_report`` to
datasets of their own."""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines.drift.nodes import report_drift


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                report_drift,
                inputs=[
                    "scored_features",
                    "scored_predictions",
                    "run_id",
                    "params:drift_monitoring",
                ],
                outputs="drift_report",
                name="report_drift",
            ),
        ]
    )
