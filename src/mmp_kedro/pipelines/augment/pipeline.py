"""``augment``: the recipe's augmenter resolved for the env, and its features joined.

``augment_features`` is also the first node of the inference pipeline the artifact
runs: the same code in training and inference.
"""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines.augment.nodes import augment_features, resolve_augmenter_config


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                resolve_augmenter_config,
                inputs=["recipe", "params:feature_store"],
                outputs="augmenter_config",
                name="resolve_augmenter_config",
            ),
            Node(
                augment_features,
                inputs=["spine", "augmenter_config", "params:run_mode"],
                outputs="augmented",
                name="augment_features",
            ),
        ],
        namespace="augment",
        prefix_datasets_with_namespace=False,
    )
