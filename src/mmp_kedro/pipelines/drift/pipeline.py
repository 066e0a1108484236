"""``drift``: a scored window's features and prediction against the run's training
window. It has no namespace of its own: ``batch_inference`` and ``evaluate`` wrap it
in theirs, mapping ``scored_features``, ``scored_predictions`` (or, for a window scored
in chunks, the scorer's own ``window_tally``) and ``drift_report`` to datasets of their
own."""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines.drift.nodes import (
    open_window_tally,
    report_drift,
    tally_window,
)


def create_pipeline(scored_in_chunks: bool = False, **kwargs) -> Pipeline:
    """The drift stage; with ``scored_in_chunks`` the scorer counts each chunk into
    ``reference_tally`` itself and hands over ``window_tally``, so that the window
    is never held whole."""
    counting = [
        Node(
            tally_window,
            inputs=["reference_tally", "scored_features", "scored_predictions"],
            outputs="window_tally",
            name="tally_window",
        )
    ]
    return Pipeline(
        [
            Node(
                open_window_tally,
                inputs=["run_id", "params:drift_monitoring"],
                outputs="reference_tally",
                name="open_window_tally",
            ),
            *([] if scored_in_chunks else counting),
            Node(
                report_drift,
                inputs=["window_tally", "run_id", "params:drift_monitoring"],
                outputs="drift_report",
                name="report_drift",
            ),
        ]
    )
