"""A loaded artifact's fitted inputs, shared by every ``predict`` call instead of
deep-copied per call (why: :mod:`mmp_kedro.runtime`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kedro.io import DataCatalog, MemoryDataset


class SharedMemoryDataset(MemoryDataset):
    """A ``MemoryDataset`` that a deep copy of its catalog shares instead of copying.

    For data nothing modifies once fitted: ``KedroPipelineModel.predict`` deep-copies
    its catalog per call so that a run can add outputs to the copy; these entries
    are only read.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedMemoryDataset:
        return self


def share_fitted_inputs(pipeline_model: Any, names: Iterable[str]) -> None:
    """Serve ``names`` of a loaded ``KedroPipelineModel``'s catalog from shared,
    never-copied datasets holding the same objects.

    Raises:
        DatasetNotFoundError: the model's catalog has no such entry.
    """
    catalog = pipeline_model.loaded_catalog
    shared = {
        name: SharedMemoryDataset(catalog.load(name), copy_mode="assign")
        for name in names
    }
    pipeline_model.loaded_catalog = DataCatalog(
        {name: shared.get(name, dataset) for name, dataset in catalog.items()}
    )
