"""``train``: spine -> augment -> tune -> report -> package, one MLflow pyfunc.

``report`` only adds the run's plots; the inference pipeline (the artifact) is
``package``'s and does not change.

A ``PipelineML`` (kedro-mlflow) must be built in its own ``pipelines/<name>/``
folder: Kedro loads only the requested pipeline's module.
"""

from kedro.pipeline import Pipeline
from kedro_mlflow.pipeline import pipeline_ml_factory

from mmp_kedro.inference_runner import InferenceRunner
from mmp_kedro.mlflow_model import code_paths, pip_requirements
from mmp_kedro.pipelines import augment, package, report, spine, tune
from mmp_kedro.pipelines.package.pipeline import create_inference_pipeline

#: Artifact path of the pyfunc model inside the run: ``runs:/<run_id>/model``.
MODEL_ARTIFACT_PATH = "model"


def create_pipeline(**kwargs) -> Pipeline:
    training = (
        spine.create_pipeline()
        + augment.create_pipeline()
        + tune.create_pipeline()
        + report.create_pipeline()
        + package.create_pipeline()
    )
    return pipeline_ml_factory(
        training=training,
        inference=create_inference_pipeline(),
        input_name="spine",
        kpm_kwargs={"runner": InferenceRunner()},
        log_model_kwargs={
            "artifact_path": MODEL_ARTIFACT_PATH,
            # Replaced by MlflowRunHook with a signature whose label columns are
            # optional; "auto" is kedro-mlflow's fallback.
            "signature": "auto",
            "pip_requirements": pip_requirements(),
            "code_paths": code_paths(),
        },
    )
