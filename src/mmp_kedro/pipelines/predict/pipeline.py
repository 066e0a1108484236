"""``predict``: the fitted preprocessor and model applied to the augmented spine.

Not run by ``train``: with ``augment_features`` it is the inference pipeline the
artifact runs (composed in ``pipelines/train``).
"""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines.predict.nodes import predict, transform_features


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                transform_features,
                inputs=["augmented", "preprocessor"],
                outputs="model_features",
                name="transform_features",
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
            ),
        ],
        namespace="predict",
        prefix_datasets_with_namespace=False,
    )
