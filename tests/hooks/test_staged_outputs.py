"""``StagedOutputsHook``: a failed run drops what its outputs staged."""

from __future__ import annotations

import pandas as pd
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline

from mmp_kedro.datasets import StagedParquetDataset
from mmp_kedro.hooks.staged_outputs import StagedOutputsHook


def _two(frame):
    return frame, frame


def test_on_error_the_staged_outputs_are_dropped_and_targets_kept(tmp_path):
    predictions = StagedParquetDataset(filepath=str(tmp_path / "p.parquet"))
    intermediates = StagedParquetDataset(filepath=str(tmp_path / "i.parquet"))
    old = pd.DataFrame({"a": [1]})
    predictions.save(old)
    predictions.confirm()
    predictions.save(pd.DataFrame({"a": [2]}))
    catalog = DataCatalog(
        {"spine": MemoryDataset(old), "p": predictions, "i": intermediates}
    )
    pipeline = Pipeline([Node(_two, "spine", ["p", "i"], confirms=["p", "i"])])

    StagedOutputsHook().on_pipeline_error(pipeline=pipeline, catalog=catalog)

    pd.testing.assert_frame_equal(predictions.load(), old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.parquet"]
