"""``NodeTimingHook``: one line per node saying how long it took."""

from __future__ import annotations

import logging

from kedro.pipeline import Node

from mmp_kedro.hooks.node_timing import NodeTimingHook


def _identity(value):
    return value


def test_each_node_gets_one_timing_line(caplog):
    hook = NodeTimingHook()
    node = Node(_identity, "a", "b", name="copy_a", namespace="stage")
    with caplog.at_level(logging.INFO, logger="mmp_kedro"):
        hook.before_node_run(node)
        hook.after_node_run(node)
        hook.after_node_run(node)  # no start recorded twice: no second line
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1
    assert lines[0].startswith("stage stage.copy_a took ") and lines[0].endswith("s")
