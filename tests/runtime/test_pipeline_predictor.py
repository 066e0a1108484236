"""PipelinePredictor predicts what KedroPipelineModel.predict predicts, set up once;
FramePredictor what the loaded pyfunc model predicts, its input checked alike."""

from __future__ import annotations

import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline
from kedro.runner import SequentialRunner
from kedro_datasets.pickle import PickleDataset
from kedro_mlflow.mlflow import KedroPipelineModel
from mlflow.exceptions import MlflowException
from mlflow.models import Model, ModelSignature
from mlflow.pyfunc import PyFuncModel
from mlflow.pyfunc.model import _PythonModelPyfuncWrapper
from mlflow.types.schema import AnyType, ColSpec, ParamSchema, ParamSpec, Schema

from mmp_kedro.runtime.inference_runner import InferenceRunner
from mmp_kedro.runtime.pipeline_predictor import FramePredictor, PipelinePredictor


def _scaled(spine: pd.DataFrame, factor: float, offset: float) -> pd.DataFrame:
    return spine.assign(value=spine["value"] * factor + offset)


def _total(spine: pd.DataFrame, scaled: pd.DataFrame, mode: str) -> pd.DataFrame:
    return spine.assign(total=spine["value"] + scaled["value"], mode=mode)


PIPELINE = Pipeline(
    [
        # Declared out of order: the nodes must run in dependency order.
        Node(_total, ["spine", "scaled", "params:mode"], "predictions", name="total"),
        Node(_scaled, ["spine", "factor", "params:offset"], "scaled", name="scale"),
    ]
)


@pytest.fixture
def pipeline_model(tmp_path):
    """A KedroPipelineModel as an artifact loads it, with the given runner."""

    def build(runner=None) -> KedroPipelineModel:
        return _pipeline_model(tmp_path, runner)

    return build


def _pipeline_model(tmp_path, runner) -> KedroPipelineModel:
    factor = PickleDataset(filepath=str(tmp_path / "factor.pkl"))
    factor.save(10.0)  # a fitted input: persisted, as kedro-mlflow requires
    catalog = DataCatalog(
        {
            "spine": MemoryDataset(),
            "factor": factor,
            "params:offset": MemoryDataset(0.0),
            "params:mode": MemoryDataset("batch"),
        }
    )
    model = KedroPipelineModel(
        PIPELINE, catalog, input_name="spine", runner=runner or InferenceRunner()
    )
    # What load_context builds from the logged artifacts.
    model.loaded_catalog = catalog
    return model


def test_it_predicts_what_kedro_pipeline_model_predicts(pipeline_model) -> None:
    model = pipeline_model()
    predictor = PipelinePredictor(model)
    spine = pd.DataFrame({"value": [1.0, 2.0, 3.0]})
    params = {"offset": 0.5, "mode": "serving"}

    ours = predictor.predict(spine, params)
    theirs = model.predict(None, spine, params=dict(params))

    pd.testing.assert_frame_equal(ours, theirs)
    assert ours["total"].tolist() == [11.5, 22.5, 33.5]
    assert ours["mode"].unique().tolist() == ["serving"]
    assert spine.columns.tolist() == ["value"]  # its input is left as it was


def test_each_call_takes_its_own_params(pipeline_model) -> None:
    predictor = PipelinePredictor(pipeline_model())
    spine = pd.DataFrame({"value": [1.0]})
    first = predictor.predict(spine, {"offset": 0.0, "mode": "a"})
    second = predictor.predict(spine, {"offset": 1.0, "mode": "b"})
    assert (first["total"].item(), first["mode"].item()) == (11.0, "a")
    assert (second["total"].item(), second["mode"].item()) == (12.0, "b")


def test_a_missing_param_is_a_key_error_naming_it(pipeline_model) -> None:
    predictor = PipelinePredictor(pipeline_model())
    with pytest.raises(KeyError, match="offset"):
        predictor.predict(pd.DataFrame({"value": [1.0]}), {"mode": "a"})


def test_an_artifact_with_another_runner_is_refused(pipeline_model) -> None:
    with pytest.raises(ValueError, match="InferenceRunner, got SequentialRunner"):
        PipelinePredictor(pipeline_model(SequentialRunner()))


def _pyfunc(pipeline_model: KedroPipelineModel) -> PyFuncModel:
    """``pipeline_model`` as ``mlflow.pyfunc.load_model`` hands it out, with a
    signature like the artifact's: an ``any`` timestamp, an optional label."""
    signature = ModelSignature(
        inputs=Schema(
            [
                ColSpec("double", "value"),
                ColSpec(AnyType(), "event_timestamp"),
                ColSpec("long", "label", required=False),
            ]
        ),
        params=ParamSchema(
            [ParamSpec("offset", "double", 0.5), ParamSpec("mode", "string", "batch")]
        ),
    )
    return PyFuncModel(
        model_meta=Model(signature=signature),
        model_impl=_PythonModelPyfuncWrapper(pipeline_model, None, signature),
    )


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "value": [1.0, 2.0, 3.0],
            "event_timestamp": pd.to_datetime(["2025-01-01", "2025-01-02", None]),
            "label": [0, 1, 0],
            "extra": ["x", "y", "z"],  # not in the signature: dropped, as pyfunc does
        }
    )


def test_frame_predictor_predicts_what_pyfunc_predicts(pipeline_model) -> None:
    model = _pyfunc(pipeline_model())
    predictor = FramePredictor(model)

    for params in ({"mode": "serving"}, {"offset": 2.0, "mode": "batch"}):
        ours = predictor.predict(_frame(), dict(params))
        theirs = model.predict(_frame(), params=dict(params))
        pd.testing.assert_frame_equal(ours, theirs)
    assert ours.columns.tolist() == [
        "value",
        "event_timestamp",
        "label",
        "total",
        "mode",
    ]


def test_frame_predictor_checks_the_input_as_pyfunc_does(pipeline_model) -> None:
    predictor = FramePredictor(_pyfunc(pipeline_model()))
    without_label = _frame().drop(columns="label")
    assert "label" not in predictor.predict(without_label, {}).columns  # optional

    with pytest.raises(MlflowException, match=r"\['event_timestamp'\] required"):
        predictor.predict(_frame().drop(columns="event_timestamp"), {})
    with pytest.raises(MlflowException, match="value"):
        predictor.predict(_frame().drop(columns="value"), {})
    with pytest.raises(MlflowException, match="value"):
        predictor.predict(_frame().assign(value=["a", "b", "c"]), {})
    with pytest.raises(MlflowException, match="offset"):
        predictor.predict(_frame(), {"offset": "not a number"})
