"""A generator node's chunks freed once saved (why: :mod:`mmp_kedro.runtime`).

Kedro peeks at a generator node's first output with ``more_itertools.spy`` and, for
several outputs, splits its tuples into one stream per output with
``more_itertools.unzip``. Both are built on ``itertools.tee``, which keeps what it
has handed out in blocks of 57 items, each freed only when every reader is past it:
a node yielding fewer than 57 chunks keeps them all until it ends. batch
inference's chunks (predictions and intermediates, 75 MB per 250,000 rows) added up
to 3 GB at 10M rows.

Kedro's runner takes one item from each stream in turn (``interleave``), so a queue
per stream holds at most one chunk's values. :func:`lockstep_spy` and
:func:`lockstep_unzip` do that, and :func:`free_saved_chunks` makes Kedro's node
module use them.
"""

from __future__ import annotations

import importlib
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

# Not `import kedro.pipeline.node`: kedro.pipeline exports a function of that name.
kedro_node = importlib.import_module("kedro.pipeline.node")


def lockstep_unzip(iterable: Iterable[tuple[Any, ...]]) -> tuple[Iterator[Any], ...]:
    """``more_itertools.unzip``: one iterator per position of ``iterable``'s tuples
    (as many as the first tuple has), each value dropped once its iterator took it.

    Memory stays at one tuple when the iterators are read in turn; one read far
    ahead of the others buffers what the others have not read yet, as tee does.
    """
    iterator = iter(iterable)
    try:
        first = next(iterator)
    except StopIteration:
        return ()
    queues = tuple(deque([value]) for value in first)
    del first

    def stream(queue: deque[Any]) -> Iterator[Any]:
        while True:
            if not queue:
                try:
                    values = next(iterator)
                except StopIteration:
                    return
                for pending, value in zip(queues, values, strict=False):
                    pending.append(value)
                del values
            yield queue.popleft()

    return tuple(stream(queue) for queue in queues)


def lockstep_spy(
    iterable: Iterable[Any], n: int = 1
) -> tuple[list[Any], Iterator[Any]]:
    """``more_itertools.spy``: the first ``n`` items, and an iterator over all of
    them that drops each once it handed it out."""
    iterator = iter(iterable)
    pending = deque(islice(iterator, n))

    def replay() -> Iterator[Any]:
        while pending:
            yield pending.popleft()
        yield from iterator

    return list(pending), replay()


def free_saved_chunks() -> None:
    """Make Kedro's nodes peek at and split a generator's outputs with
    :func:`lockstep_spy` and :func:`lockstep_unzip`."""
    kedro_node.spy = lockstep_spy  # type: ignore[attr-defined]
    kedro_node.unzip = lockstep_unzip  # type: ignore[attr-defined]
