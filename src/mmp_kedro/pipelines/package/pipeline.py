"""``package``: what the training run records beside the model (its snapshots and
metadata)."""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines.package.nodes import (
    describe_model,
    describe_training,
    profile_training_window,
    snapshot_recipe,
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
            ),
            Node(
                describe_training,
                inputs=[
                    "recipe",
                    "params:training",
                    "hyperparameter_optimization",
                    "train_set",
                    "test_set",
                ],
                outputs="training_methodology",
                name="describe_training",
            ),
            Node(
                profile_training_window,
                inputs=[
                    "augmented",
                    "recipe",
                    "preprocessor",
                    "model",
                    "params:drift_monitoring",
                ],
                outputs="drift_reference",
                name="profile_training_window",
            ),
            Node(
                describe_model,
                inputs=["recipe", "spine", "augmented", "model"],
                outputs="model_metadata",
                name="describe_model",
            ),
        ],
        namespace="package",
        prefix_datasets_with_namespace=False,
    )
