"""The batch-inference node on a real Kedro runner, staged parquet outputs and the
staged-outputs hook (called on failure as a Kedro session calls it): a window scored
chunk by chunk, and a chunk failing mid-way.

The model is a stand-in whose predictions are a function of the spine (the real
artifact runs in ``test_batch_inference_e2e.py``); the spine comes from DuckDB.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
import sqlalchemy as sa
from kedro.framework.hooks import _create_hook_manager
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from mmp_kedro.artifact import contract
from mmp_kedro.config.scoring import BatchScoringParams
from mmp_kedro.datasets import StagedParquetDataset
from mmp_kedro.hooks.staged_outputs import StagedOutputsHook
from mmp_kedro.monitoring.drift import UnmeasuredWindow
from mmp_kedro.pipelines.batch_inference import create_pipeline
from mmp_kedro.pipelines.batch_inference.nodes import BatchChunkError
from mmp_kedro.spine import SpineChunks, SQLQueryRunner

SPINE_SQL = """
SELECT 'u' || CAST(i AS VARCHAR) AS user_id,
       TIMESTAMP '2025-01-01' + i * INTERVAL 1 HOUR AS event_timestamp
FROM range(20) AS t(i) WHERE i < :rows
"""
OUTPUTS = ("batch_predictions", "batch_intermediates")


class Model:
    """Scores a row by its position in the window; fails on call ``fail_on``."""

    def __init__(self, fail_on: int | None = None):
        self.calls = 0
        self.fail_on = fail_on

    def predict(self, spine: pd.DataFrame, params: dict) -> pd.DataFrame:
        self.calls += 1
        if self.calls == self.fail_on:
            raise RuntimeError("feature store unreachable")
        hours = (spine["event_timestamp"] - pd.Timestamp("2025-01-01")).dt.seconds
        return spine.assign(
            age=hours / 3600.0, prediction=hours % 2, probability=hours / 72000.0
        )


@pytest.fixture
def model(monkeypatch) -> Model:
    model = Model()
    monkeypatch.setattr(contract, "load_model", lambda run_id: model)
    classifier = SimpleNamespace(model=SimpleNamespace(task_type="classification"))
    monkeypatch.setattr(contract, "fitted_inputs", lambda loaded: classifier)
    monkeypatch.setattr(contract, "frame_predictor", lambda loaded: loaded)
    return model


def _score(tmp_path, chunk_rows: int) -> None:
    """The batch node over 20 spine rows, ``chunk_rows`` at a time, as Kedro runs
    it (generator node, confirms, the staged-outputs hook)."""
    runner = SQLQueryRunner(sa.create_engine("duckdb:///:memory:"), [])
    scoring = BatchScoringParams(chunk_rows=chunk_rows, progress="log")
    catalog = DataCatalog(
        {
            "batch_inference.spine_chunks": MemoryDataset(
                SpineChunks(runner, SPINE_SQL, {"rows": 20}, "test", chunk_rows)
            ),
            "batch_inference.run_id": MemoryDataset("run-1"),
            "batch_inference.reference_tally": MemoryDataset(
                UnmeasuredWindow("disabled")
            ),
            "params:batch_scoring": MemoryDataset(scoring),
            **{
                name: StagedParquetDataset(str(tmp_path / f"{name}.parquet"))
                for name in OUTPUTS
            },
        }
    )
    # The pipeline's own node, as batch_inference wires it.
    pipeline = create_pipeline().only_nodes("batch_inference.predict_batch")
    hooks = _create_hook_manager()
    hooks.register(StagedOutputsHook())
    try:
        SequentialRunner().run(pipeline, catalog, hooks)
    except Exception as error:
        # As a KedroSession does for a failed run.
        hooks.hook.on_pipeline_error(
            error=error, run_params={}, pipeline=pipeline, catalog=catalog
        )
        raise


def _outputs(tmp_path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(tmp_path / f"{name}.parquet") for name in OUTPUTS}


def test_a_window_scored_in_chunks_is_written_as_scored_at_once(tmp_path, model):
    _score(tmp_path, chunk_rows=100)
    at_once = _outputs(tmp_path)
    assert model.calls == 1
    _score(tmp_path, chunk_rows=6)
    assert model.calls == 1 + 4
    for name, frame in _outputs(tmp_path).items():
        pd.testing.assert_frame_equal(frame, at_once[name])
    assert len(at_once["batch_predictions"]) == 20
    assert list(at_once["batch_predictions"].columns) == [
        "user_id",
        "event_timestamp",
        "prediction",
        "probability",
        "model_run_id",
    ]


def test_a_chunk_failing_mid_way_is_named_and_nothing_is_replaced(tmp_path, model):
    _score(tmp_path, chunk_rows=100)
    before = {name: (tmp_path / f"{name}.parquet").read_bytes() for name in OUTPUTS}
    model.calls, model.fail_on = 0, 3
    with pytest.raises(
        BatchChunkError,
        match=r"failed scoring chunk 3 \(spine rows from 12\); no output was "
        r"written: RuntimeError: feature store unreachable",
    ):
        _score(tmp_path, chunk_rows=6)
    after = {name: (tmp_path / f"{name}.parquet").read_bytes() for name in OUTPUTS}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{name}.parquet" for name in OUTPUTS
    )
