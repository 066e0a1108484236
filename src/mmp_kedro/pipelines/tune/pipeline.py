"""``tune``: leakage-safe Optuna search, refit with the best params, calibration,
test-split score."""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines.tune.nodes import (
    calibrate_model,
    evaluate_on_test,
    fit_final_model,
    split_calibration_set,
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
                split_calibration_set,
                inputs=["train_set", "recipe", "params:training"],
                outputs=["fit_set", "calibration_set"],
                name="split_calibration_set",
            ),
            Node(
                fit_final_model,
                inputs=["fit_set", "recipe", "hyperparameter_optimization"],
                outputs=["preprocessor", "fitted_model"],
                name="fit_final_model",
            ),
            Node(
                calibrate_model,
                inputs=[
                    "fitted_model",
                    "preprocessor",
                    "calibration_set",
                    "recipe",
                    "params:training",
                ],
                outputs="model",
                name="calibrate_model",
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
