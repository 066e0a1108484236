"""Drops what a failed run staged, so no half-written output is left behind."""

from __future__ import annotations

from kedro.framework.hooks import hook_impl
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline

from mmp_kedro.datasets.staged import StagedParquetDataset, StagedSQLTableDataset

STAGED_TYPES = (StagedParquetDataset, StagedSQLTableDataset)


class StagedOutputsHook:
    """On a pipeline error, every staged output of the pipeline that was saved but
    never confirmed is dropped; the outputs readers see stay as they were."""

    @hook_impl
    def on_pipeline_error(self, pipeline: Pipeline, catalog: DataCatalog) -> None:
        for name in sorted(pipeline.all_outputs()):
            if name in catalog:
                dataset = catalog[name]
                if isinstance(dataset, STAGED_TYPES):
                    dataset.discard()
