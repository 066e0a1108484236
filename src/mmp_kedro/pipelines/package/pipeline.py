"""``package``: the inference pipeline the artifact runs, and the run's records."""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines.augment.pipeline import create_augment_pipeline
from mmp_kedro.pipelines.package.nodes import (
    describe_model,
    describe_training,
    predict,
    snapshot_recipe,
    transform_features,
)


def create_inference_pipeline() -> Pipeline:
    """augment -> transform -> predict: logged as the ``KedroPipelineModel``."""
    return create_augment_pipeline() + Pipeline(
        [
            Node(
                transform_features,
                inputs=["augmented", "preprocessor"],
                outputs="model_features",
                name="transform_features",
                namespace="package",
            ),
            Node(
                predict,
                inputs=[
                    "spine",
                    "augmented",
                    "model_features",
                    "model",
                    "params:return_intermediate",
                ],
                outputs="predictions",
                name="predict",
                namespace="package",
            ),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                snapshot_recipe,
                inputs=["recipe", "augmenter_config"],
                outputs=[
                    "loader_sql_snapshot",
                    "augmenter_config_snapshot",
                    "recipe_yaml_snapshot",
                ],
                name="snapshot_recipe",
                namespace="package",
            ),
            Node(
                describe_training,
                inputs=["recipe", "params:training", "hyperparameter_optimization"],
                outputs="training_methodology",
                name="describe_training",
                namespace="package",
            ),
            Node(
                describe_model,
                inputs=["recipe", "spine", "augmented", "model"],
                outputs="model_metadata",
                name="describe_model",
                namespace="package",
            ),
        ]
    )
