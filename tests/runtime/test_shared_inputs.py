"""``share_fitted_inputs``: a loaded artifact's fitted inputs survive the catalog deep
copy of every ``KedroPipelineModel.predict`` call as the same objects."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.io.core import DatasetNotFoundError

from mmp_kedro.runtime.shared_inputs import SharedMemoryDataset, share_fitted_inputs


def pipeline_model() -> SimpleNamespace:
    """What ``share_fitted_inputs`` uses of a ``KedroPipelineModel``: its catalog."""
    catalog = DataCatalog(
        {
            "model": MemoryDataset({"weights": [1.0, 2.0]}, copy_mode="assign"),
            "params:run_mode": MemoryDataset("batch"),
        }
    )
    return SimpleNamespace(loaded_catalog=catalog)


def test_shared_entries_are_the_same_objects_in_every_copy():
    model = pipeline_model()
    fitted = model.loaded_catalog.load("model")
    share_fitted_inputs(model, ["model"])

    per_call = copy.deepcopy(model.loaded_catalog)
    assert isinstance(model.loaded_catalog["model"], SharedMemoryDataset)
    assert per_call.load("model") is fitted
    # Entries a predict call writes to stay per call.
    per_call["params:run_mode"].save("serving")
    assert model.loaded_catalog.load("params:run_mode") == "batch"


def test_without_sharing_a_copy_copies_the_fitted_object():
    model = pipeline_model()
    fitted = model.loaded_catalog.load("model")
    assert copy.deepcopy(model.loaded_catalog).load("model") is not fitted


def test_an_unknown_entry_is_refused():
    with pytest.raises(DatasetNotFoundError):
        share_fitted_inputs(pipeline_model(), ["preprocessor"])
