"""A loaded artifact's inference pipeline, called per request without
``KedroPipelineModel.predict``'s per-call set-up (why: :mod:`mmp_kedro.runtime`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models.utils import _enforce_params_schema, _enforce_schema
from mlflow.types.schema import AnyType, Schema

from mmp_kedro.runtime.inference_runner import InferenceRunner

if TYPE_CHECKING:
    from kedro_mlflow.mlflow import KedroPipelineModel
    from mlflow.pyfunc import PyFuncModel

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


class FramePredictor:
    """``PyFuncModel.predict`` for a process that scores many large frames (the
    chunks of a batch window): MLflow's own input-schema enforcement and params
    defaults, then the pipeline through :class:`PipelinePredictor`.

    pyfunc enforces an ``any``-typed column (the spine's ``event_timestamp``, which
    the first node normalises) by rebuilding it value by value, each value returned
    unchanged: about 4 µs a row, a second per 250,000-row chunk. Here such a column
    is only required to be present; every typed column is enforced by MLflow as
    pyfunc does it.

    Raises:
        ValueError: the model's runner is not an :class:`InferenceRunner`.
    """

    def __init__(self, model: PyFuncModel):
        schema = model.metadata.get_input_schema()
        if schema is None or not schema.has_input_names():
            raise ValueError(
                "FramePredictor needs an artifact whose signature names its input "
                "columns"
            )
        self.columns = schema.input_names()
        self.untyped = {
            spec.name: spec.required
            for spec in schema.inputs
            if isinstance(spec.type, AnyType)
        }
        self.typed_schema = Schema(
            [spec for spec in schema.inputs if spec.name not in self.untyped]
        )
        self.params_schema = model.metadata.get_params_schema()
        self.predictor = PipelinePredictor(model.unwrap_python_model())

    def predict(self, frame: pd.DataFrame, params: dict[str, Any]) -> Any:
        """What ``model.predict(frame, params=params)`` returns.

        Raises:
            MlflowException: a required column is missing, a column's type does
                not match the signature, or a param is not in its params schema.
        """
        missing = [
            name
            for name, required in self.untyped.items()
            if required and name not in frame
        ]
        if missing:
            raise MlflowException.invalid_parameter_value(
                f"the input lacks the column(s) {missing} required by the model "
                f"signature; it has {list(frame.columns)}",
                error_class="SCHEMA_ENFORCEMENT_FAILED",
            )
        try:
            typed = _enforce_schema(frame, self.typed_schema)
        except MlflowException:
            raise
        except Exception as err:  # MLflow raises plain errors for some mismatches
            raise MlflowException.invalid_parameter_value(
                f"the input does not match the model signature: {err}",
                error_class="SCHEMA_ENFORCEMENT_FAILED",
            ) from err
        checked = pd.DataFrame(
            {
                name: typed[name] if name in typed else frame[name]
                for name in self.columns
                if name in typed or name in frame
            },
            index=frame.index,
        )
        return self.predictor.predict(
            checked, _enforce_params_schema(params, self.params_schema)
        )
