"""``evaluate``: a trained run's metrics on a new labelled window, by run id only.

kedro run --pipelines evaluate --params run_id=<id>,start_date=...,end_date=...
"""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines import drift, run_spine
from mmp_kedro.pipelines.evaluate.nodes import evaluate_run, fetch_recipe_snapshot


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            run_spine.create_pipeline(),
            Node(
                fetch_recipe_snapshot,
                inputs="run_id",
                outputs="recipe",
                name="fetch_recipe_snapshot",
            ),
            Node(
                evaluate_run,
                inputs=[
                    "spine",
                    "recipe",
                    "run_id",
                    "loader_sql",
                    "parameters",
                    "params:evaluation.min_rows",
                ],
                outputs=["evaluation_report", "scored_features", "scored_predictions"],
                name="evaluate_run",
            ),
            Pipeline(
                drift.create_pipeline(),
                outputs={"drift_report": "evaluation_drift_report"},
            ),
        ],
        namespace="evaluate",
        inputs={"spine_loader"},
        parameters={"run_id", "model_uri", "evaluation.min_rows", "drift_monitoring"},
        outputs={"evaluation_report", "evaluation_drift_report"},
    )
