"""``report``: the run's plots (tuning history, test-split evaluation, importances).

Part of ``train`` only: the plots are logged to the run, never to the inference
pipeline the artifact runs.
"""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines.report.nodes import (
    collect_plots,
    plot_evaluation,
    plot_tuning,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                plot_tuning,
                inputs="hyperparameter_optimization",
                outputs="tuning_plots",
                name="plot_tuning",
            ),
            Node(
                plot_evaluation,
                inputs=["test_set", "recipe", "preprocessor", "model"],
                outputs="evaluation_plots",
                name="plot_evaluation",
            ),
            Node(
                collect_plots,
                inputs=["tuning_plots", "evaluation_plots"],
                outputs="plots",
                name="collect_plots",
            ),
        ],
        namespace="report",
        prefix_datasets_with_namespace=False,
    )
