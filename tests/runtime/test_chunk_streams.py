"""A generator node's chunks are freed once Kedro saved them, not when it ends.

Kedro's own split of a multi-output generator (``more_itertools.spy`` and
``unzip``, on ``itertools.tee``) keeps every chunk of a node that yields fewer than
57; the first test pins that behaviour down, so the patch is dropped once Kedro
stops needing it.
"""

from __future__ import annotations

import gc
import importlib
import weakref

import pytest
from kedro.io import AbstractDataset, DataCatalog
from kedro.pipeline import Node, Pipeline
from kedro.runner import SequentialRunner

from mmp_kedro.runtime.chunk_streams import (
    free_saved_chunks,
    lockstep_spy,
    lockstep_unzip,
)

CHUNKS = 6
kedro_node = importlib.import_module("kedro.pipeline.node")


class Chunk:
    """Stands for a chunk's frame; weakly referenceable."""

    def __init__(self, number: int):
        self.number = number


class Appended(AbstractDataset):
    """Keeps the numbers it was given, not the chunks."""

    def __init__(self):
        self.numbers: list[int] = []

    def save(self, data: Chunk) -> None:
        self.numbers.append(data.number)

    def load(self):
        return self.numbers

    def _describe(self):
        return {}


def _run(alive_when_yielding: list[int]) -> dict[str, list[int]]:
    """A node yielding (chunk, chunk) CHUNKS times, counting the earlier chunks
    still alive each time it is asked for the next."""
    handed_out: list[weakref.ref] = []

    def scored():
        for number in range(CHUNKS):
            gc.collect()
            alive_when_yielding.append(sum(ref() is not None for ref in handed_out))
            first, second = Chunk(number), Chunk(number)
            handed_out.extend([weakref.ref(first), weakref.ref(second)])
            yield first, second
            del first, second

    datasets = {"predictions": Appended(), "intermediates": Appended()}
    SequentialRunner().run(
        Pipeline([Node(scored, None, ["predictions", "intermediates"])]),
        DataCatalog(datasets),
    )
    return {name: dataset.numbers for name, dataset in datasets.items()}


@pytest.fixture
def kedro_split():
    """Kedro's node module as it ships, restored after the test."""
    patched = kedro_node.spy, kedro_node.unzip
    import more_itertools

    kedro_node.spy, kedro_node.unzip = more_itertools.spy, more_itertools.unzip
    yield
    kedro_node.spy, kedro_node.unzip = patched


def test_kedro_alone_keeps_every_chunk(kedro_split) -> None:
    alive: list[int] = []
    _run(alive)
    assert alive[-1] == 2 * (CHUNKS - 1)


def test_each_chunk_is_freed_once_saved() -> None:
    free_saved_chunks()
    alive: list[int] = []

    saved = _run(alive)

    assert saved == {
        "predictions": list(range(CHUNKS)),
        "intermediates": list(range(CHUNKS)),
    }
    # The runner's loop still holds the chunk it saved last when it asks for the
    # next one: one chunk at most, whatever their number.
    assert max(alive) == 2


def test_lockstep_unzip_and_spy_are_unzip_and_spy() -> None:
    rows = [(1, "a", None), (2, "b", None), (3, "c", None)]
    head, replay = lockstep_spy(iter(rows))
    assert head == [rows[0]]
    assert [list(stream) for stream in lockstep_unzip(replay)] == [
        [1, 2, 3],
        ["a", "b", "c"],
        [None, None, None],
    ]
    assert lockstep_unzip(iter([])) == ()
    assert lockstep_spy(iter([]))[0] == []
