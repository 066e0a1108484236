"""An interrupted run ends KILLED with the reason as a tag, never FINISHED or RUNNING.

Ctrl-C raises ``KeyboardInterrupt``, which Kedro does not treat as a pipeline error,
so kedro-mlflow never ends the run and MLflow's own exit handler would end it
FINISHED, without a model. SIGTERM would end the process with the run RUNNING for
ever. Both signals are turned into ``KeyboardInterrupt`` while a pipeline runs, so
every library unwinds as it does for Ctrl-C, and the run still open when the process
exits while its pipeline never reached its end is ended KILLED (FAILED if no signal
stopped it) before MLflow's handler runs. A pipeline that ended, well or with an
error, is kedro-mlflow's to close, as always.
"""

from __future__ import annotations

import atexit
import logging
import signal
import threading
from types import FrameType
from typing import Any

import mlflow
from kedro.framework.hooks import hook_impl
from kedro.pipeline.node import Node
from mlflow.entities import RunStatus

from mmp_kedro.artifact.contract import END_REASON_TAG

log = logging.getLogger(__name__)

_HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunInterruptionHook:
    """Signals become ``KeyboardInterrupt`` during a run; the run of a pipeline cut
    short ends KILLED (or FAILED) at exit, ``mmp.end_reason`` naming the signal and
    the node."""

    def __init__(self) -> None:
        self._previous_handlers: dict[int, Any] = {}
        self._pipeline_running = False
        self._signal: str | None = None
        self._node: str | None = None
        self._exit_handler_registered = False

    @hook_impl
    def before_pipeline_run(self) -> None:
        self._pipeline_running = True
        self._signal = None
        self._node = None
        if not self._exit_handler_registered:
            # Registered after MLflow's own exit handler, so it runs before it.
            atexit.register(self.end_open_run)
            self._exit_handler_registered = True
        if threading.current_thread() is threading.main_thread():
            for signum in _HANDLED_SIGNALS:
                self._previous_handlers[signum] = signal.signal(signum, self._interrupt)

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        self._node = node.name

    @hook_impl
    def after_pipeline_run(self) -> None:
        self._pipeline_ended()

    @hook_impl
    def on_pipeline_error(self) -> None:
        self._pipeline_ended()

    def _interrupt(self, signum: int, frame: FrameType | None) -> None:
        self._signal = signal.Signals(signum).name
        raise KeyboardInterrupt(f"{self._signal} received")

    def _pipeline_ended(self) -> None:
        self._pipeline_running = False
        while self._previous_handlers:
            signum, handler = self._previous_handlers.popitem()
            signal.signal(signum, handler)

    def end_open_run(self) -> None:
        """End the MLflow run of a pipeline that never reached its end: KILLED after
        a signal, FAILED otherwise, with the reason in ``mmp.end_reason``."""
        run = mlflow.active_run()
        if run is None or not self._pipeline_running:
            return
        during = f" during node '{self._node}'" if self._node else ""
        if self._signal is not None:
            status = RunStatus.KILLED
            reason = f"interrupted by {self._signal}{during}"
        else:
            status = RunStatus.FAILED
            reason = f"the process ended before the run did{during}"
        try:
            mlflow.set_tag(END_REASON_TAG, reason)
            # The run can be on MLflow's run stack more than once; MLflow's exit
            # handler would end the next copy FINISHED.
            while mlflow.active_run() is not None:
                mlflow.end_run(RunStatus.to_string(status))
        except Exception as err:  # the tracking server may be gone at exit
            log.error("could not end MLflow run %s: %s", run.info.run_id, err)
            return
        log.warning(
            "MLflow run %s ended %s: %s",
            run.info.run_id,
            RunStatus.to_string(status),
            reason,
        )
