"""InferenceRunner gives what Kedro's SequentialRunner gives: outputs and node hooks."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from kedro.framework.hooks import _create_hook_manager, hook_impl
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline
from kedro.runner import SequentialRunner

from mmp_kedro.runtime.hook_manager import share_empty_hook_manager
from mmp_kedro.runtime.inference_runner import InferenceRunner


def _scaled(frame: pd.DataFrame, factor: float) -> pd.DataFrame:
    return frame.assign(value=frame["value"] * factor)


def _total(frame: pd.DataFrame, scaled: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(total=frame["value"] + scaled["value"])


def _fail(frame: pd.DataFrame) -> pd.DataFrame:
    raise RuntimeError("node failed on purpose")


PIPELINE = Pipeline(
    [
        # Declared out of order: the runner must follow the dependencies.
        Node(_total, ["spine", "scaled"], "predictions", name="total"),
        Node(_scaled, ["spine", "params:factor"], "scaled", name="scale"),
    ]
)


def _catalog() -> DataCatalog:
    return DataCatalog(
        datasets={
            "spine": MemoryDataset(pd.DataFrame({"value": [1.0, 2.0, 3.0]})),
            "params:factor": MemoryDataset(10.0),
        }
    )


def test_outputs_equal_the_sequential_runners() -> None:
    ours = InferenceRunner().run(PIPELINE, _catalog(), _create_hook_manager())
    kedro = SequentialRunner().run(PIPELINE, _catalog(), _create_hook_manager())
    assert set(ours) == set(kedro) == {"predictions"}
    pd.testing.assert_frame_equal(
        ours["predictions"].load(), kedro["predictions"].load()
    )
    assert ours["predictions"].load()["total"].tolist() == [11.0, 22.0, 33.0]


def test_inputs_are_not_modified() -> None:
    catalog = _catalog()
    InferenceRunner().run(PIPELINE, catalog)
    assert catalog.load("spine")["value"].tolist() == [1.0, 2.0, 3.0]


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    @hook_impl
    def before_node_run(self, node: Node, inputs: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("before", node.name))
        return {"params:factor": 100.0} if node.name == "scale" else None

    @hook_impl
    def after_node_run(self, node: Node) -> None:
        self.calls.append(("after", node.name))

    @hook_impl
    def on_node_error(self, error: Exception, node: Node) -> None:
        self.calls.append(("error", node.name))


def test_node_hooks_run_and_may_replace_inputs_as_in_kedro() -> None:
    results = {}
    for runner in (InferenceRunner(), SequentialRunner()):
        recorder = _Recorder()
        manager = _create_hook_manager()
        manager.register(recorder)
        output = runner.run(PIPELINE, _catalog(), manager)["predictions"].load()
        results[type(runner).__name__] = (recorder.calls, output["total"].tolist())
    assert results["InferenceRunner"] == results["SequentialRunner"]
    assert results["InferenceRunner"] == (
        [
            ("before", "scale"),
            ("after", "scale"),
            ("before", "total"),
            ("after", "total"),
        ],
        [101.0, 202.0, 303.0],
    )


def test_a_failing_node_reports_to_the_error_hook_and_raises() -> None:
    recorder = _Recorder()
    manager = _create_hook_manager()
    manager.register(recorder)
    failing = Pipeline([Node(_fail, "spine", "predictions", name="fail")])
    with pytest.raises(RuntimeError, match="on purpose"):
        InferenceRunner().run(failing, _catalog(), manager)
    assert recorder.calls == [("before", "fail"), ("error", "fail")]


def test_a_missing_input_is_named_before_any_node_runs() -> None:
    recorder = _Recorder()
    manager = _create_hook_manager()
    manager.register(recorder)
    catalog = DataCatalog(datasets={"params:factor": MemoryDataset(1.0)})
    with pytest.raises(ValueError, match="'spine'"):
        InferenceRunner().run(PIPELINE, catalog, manager)
    assert recorder.calls == []


@pytest.mark.parametrize(
    ("runner", "run_kwargs"),
    [
        (InferenceRunner(is_async=True), {}),
        (InferenceRunner(), {"only_missing_outputs": True}),
    ],
)
def test_what_it_does_not_do_is_refused(runner, run_kwargs) -> None:
    with pytest.raises(NotImplementedError, match="SequentialRunner"):
        runner.run(PIPELINE, _catalog(), **run_kwargs)


@pytest.fixture
def kedro_mlflow_hook_factory(monkeypatch):
    """kedro-mlflow's module, its hook-manager factory restored after the test."""
    from kedro_mlflow.mlflow import kedro_pipeline_model

    monkeypatch.setattr(
        kedro_pipeline_model,
        "_create_hook_manager",
        kedro_pipeline_model._create_hook_manager,
    )
    return kedro_pipeline_model


def test_kedro_pipeline_models_share_one_empty_hook_manager(
    kedro_mlflow_hook_factory,
) -> None:
    share_empty_hook_manager()
    share_empty_hook_manager()  # a second call changes nothing
    create = kedro_mlflow_hook_factory._create_hook_manager
    shared = create()
    assert create() is shared
    assert not shared.get_plugins()
    output = InferenceRunner().run(PIPELINE, _catalog(), shared)["predictions"].load()
    assert output["total"].tolist() == [11.0, 22.0, 33.0]

    shared.register(recorder := _Recorder())
    try:  # once someone registers a plugin on it, it is no longer handed out
        assert create() is not shared
        assert not create().get_plugins()
    finally:
        shared.unregister(recorder)
    assert create() is shared


def test_sharing_refuses_a_kedro_mlflow_that_builds_its_manager_otherwise(
    kedro_mlflow_hook_factory, monkeypatch
) -> None:
    monkeypatch.setattr(
        kedro_mlflow_hook_factory, "_create_hook_manager", _create_hook_manager_v2
    )
    with pytest.raises(RuntimeError, match="share_empty_hook_manager"):
        share_empty_hook_manager()


def _create_hook_manager_v2():
    return _create_hook_manager()
