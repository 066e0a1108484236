"""A loaded artifact's inference pipeline, called per request without
``KedroPipelineModel.predict``'s per-call set-up (why: :mod:`mmp_kedro.runtime`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mmp_kedro.runtime.inference_runner import InferenceRunner

if TYPE_CHECKING:
    from kedro_mlflow.mlflow import KedroPipelineModel

PARAMS_PREFIX = "params:"


class PipelinePredictor:
    """``KedroPipelineModel.predict`` for a process that calls it many times.

    The same pipeline, the same nodes in the same order and the artifact's own
    :class:`InferenceRunner`, given the same inputs: the model's input, the predict
    params and the catalog's other inputs (the fitted preprocessor and model, the
    augmenter config), which are loaded once here. kedro-mlflow instead saves every
    param into its catalog, deep-copies the catalog and builds a hook manager on each
    call, and the runner then loads each input back from that copy. Nothing read
    per request is kept: the features are read by the pipeline's first node on
    every call.

    Raises:
        ValueError: the model's runner is not an :class:`InferenceRunner` (an
            artifact logged with another runner is predicted through pyfunc).
    """

    def __init__(self, pipeline_model: KedroPipelineModel):
        if not isinstance(pipeline_model.runner, InferenceRunner):
            raise ValueError(
                "PipelinePredictor needs an artifact logged with InferenceRunner, got "
                f"{type(pipeline_model.runner).__name__}"
            )
        self.pipeline = pipeline_model.pipeline
        self.input_name = pipeline_model.input_name
        self.output_name = pipeline_model.output_name
        catalog = pipeline_model.loaded_catalog
        self.loaded_inputs = {
            name: catalog.load(name)
            for name in self.pipeline.inputs()
            if name != self.input_name and not name.startswith(PARAMS_PREFIX)
        }
        self.param_names = sorted(
            name.removeprefix(PARAMS_PREFIX)
            for name in self.pipeline.inputs()
            if name.startswith(PARAMS_PREFIX)
        )

    def predict(self, model_input: Any, params: dict[str, Any]) -> Any:
        """The pipeline's output for ``model_input``, as
        ``KedroPipelineModel.predict(None, model_input, params)`` returns it.

        Raises:
            KeyError: ``params`` lacks one of the pipeline's params (pass the
                signature's defaults, as pyfunc would).
        """
        inputs = {
            **self.loaded_inputs,
            **{PARAMS_PREFIX + name: params[name] for name in self.param_names},
            self.input_name: model_input,
        }
        return InferenceRunner.run_nodes(self.pipeline, inputs)[self.output_name]
