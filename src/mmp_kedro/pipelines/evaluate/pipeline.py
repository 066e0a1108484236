"""``evaluate``: a trained run's metrics on a new labelled window, by run id only.

kedro run --pipeline evaluate --params run_id=<id>,start_date=...,end_date=...
"""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines.batch_inference.pipeline import run_spine_nodes
from mmp_kedro.pipelines.evaluate.nodes import evaluate_run, fetch_recipe_snapshot


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            *run_spine_nodes("evaluate", "evaluation"),
            Node(
                fetch_recipe_snapshot,
                inputs="evaluation_run_id",
                outputs="evaluation_recipe",
                name="fetch_recipe_snapshot",
                namespace="evaluate",
            ),
            Node(
                evaluate_run,
                inputs=[
                    "evaluation_spine",
                    "evaluation_recipe",
                    "evaluation_run_id",
                    "evaluation_loader_sql",
                    "parameters",
                ],
                outputs="evaluation_report",
                name="evaluate_run",
                namespace="evaluate",
            ),
        ],
    )
