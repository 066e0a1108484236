"""``augment``: features joined onto the spine, in training and in the artifact."""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines.augment.nodes import augment_features, resolve_augmenter_config


def create_augment_pipeline() -> Pipeline:
    """The node the wrapped artifact runs too: the same code in training and inference."""
    return Pipeline(
        [
            Node(
                augment_features,
                inputs=["spine", "augmenter_config", "params:run_mode"],
                outputs="augmented",
                name="augment_features",
                namespace="augment",
            )
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    return (
        Pipeline(
            [
                Node(
                    resolve_augmenter_config,
                    inputs=["recipe", "params:feature_store"],
                    outputs="augmenter_config",
                    name="resolve_augmenter_config",
                    namespace="augment",
                )
            ]
        )
        + create_augment_pipeline()
    )
