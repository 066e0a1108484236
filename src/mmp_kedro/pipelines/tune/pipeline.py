"""``tune``: leakage-safe Optuna search, refit with the best params, test-split score."""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines.tune.nodes import (
    evaluate_on_test,
    fit_final_model,
    split_train_test,
    tune_hyperparameters,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                split_train_test,
                inputs=["augmented", "recipe", "params:training"],
                outputs=["train_set", "test_set"],
                name="split_train_test",
            ),
            Node(
                tune_hyperparameters,
                inputs=[
                    "train_set",
                    "recipe",
                    "params:training",
                    "params:tuning",
                    "optuna_storage",
                ],
                outputs="hyperparameter_optimization",
                name="tune_hyperparameters",
            ),
            Node(
                fit_final_model,
                inputs=["train_set", "recipe", "hyperparameter_optimization"],
                outputs=["preprocessor", "model"],
                name="fit_final_model",
            ),
            Node(
                evaluate_on_test,
                inputs=[
                    "test_set",
                    "recipe",
                    "preprocessor",
                    "model",
                    "hyperparameter_optimization",
                ],
                outputs="test_metrics",
                name="evaluate_on_test",
            ),
        ],
        namespace="tune",
        prefix_datasets_with_namespace=False,
    )
