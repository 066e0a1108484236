"""One log line per node: how long each stage of a run took."""

from __future__ import annotations

import logging
import time

from kedro.framework.hooks import hook_impl
from kedro.pipeline.node import Node

log = logging.getLogger(__name__)


class NodeTimingHook:
    """``stage <node> took <s>s`` after every node."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        self._started[node.name] = time.perf_counter()

    @hook_impl
    def after_node_run(self, node: Node) -> None:
        started = self._started.pop(node.name, None)
        if started is not None:
            log.info("stage %s took %.2fs", node.name, time.perf_counter() - started)
