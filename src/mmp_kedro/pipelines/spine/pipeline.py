"""``spine``: the recipe's loader SQL on the env's ``spine_loader`` catalog entry."""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines.spine.nodes import load_training_spine


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                load_training_spine,
                inputs=["spine_loader", "recipe", "parameters"],
                outputs="spine",
                name="load_spine",
            )
        ],
        namespace="spine",
        prefix_datasets_with_namespace=False,
    )
