"""``train``: spine -> augment -> tune -> report -> package, one MLflow pyfunc.

The inference pipeline the artifact runs (augment's ``augment_features``, then
``predict``) is composed here, and only here. A ``PipelineML`` (kedro-mlflow) must be
built in its own ``pipelines/<name>/`` folder: Kedro loads only the requested
pipeline's module.
"""

from kedro.pipeline import Pipeline
from kedro_mlflow.pipeline import pipeline_ml_factory

from mmp_kedro.artifact import logged_model
from mmp_kedro.pipelines import augment, package, predict, report, spine, tune


def create_pipeline(**kwargs) -> Pipeline:
    augmentation = augment.create_pipeline()
    training = (
        spine.create_pipeline()
        + augmentation
        + tune.create_pipeline()
        + report.create_pipeline()
        + package.create_pipeline()
    )
    inference = (
        augmentation.only_nodes_with_outputs("augmented") + predict.create_pipeline()
    )
    return pipeline_ml_factory(
        training=training,
        inference=inference,
        input_name="spine",
        kpm_kwargs=logged_model.pipeline_model_kwargs(),
        log_model_kwargs=logged_model.log_model_kwargs(),
    )
