"""Progress of work done chunk by chunk: chunks, rows, rows/s and the time left.

On a terminal it is a rich progress bar on the console Kedro's rich log handler
writes to (so log lines print above it); elsewhere (CI, a log file) one log line per
chunk, which a bar's redraws would only clutter.
"""

from __future__ import annotations

import logging
import time
from types import TracebackType

import rich
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from mmp_kedro.config.scoring import ProgressDisplay


class ChunkProgress:
    """``with ChunkProgress(...) as progress: ... progress.advance(rows)`` per chunk.

    Args:
        description: what is being done ("batch inference").
        total_rows: the rows expected, for the ETA; None when unknown.
        display: ``bar``, ``log``, ``off``, or ``auto`` (a bar on a terminal).
        logger: where ``log`` lines go.
    """

    def __init__(
        self,
        description: str,
        total_rows: int | None,
        display: ProgressDisplay,
        logger: logging.Logger,
    ):
        if display == "auto":
            display = "bar" if rich.get_console().is_terminal else "log"
        self.display = display
        self.description = description
        self.total_rows = total_rows
        self.rows = 0
        self.chunks = 0
        self._log = logger
        self._started = time.perf_counter()
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ChunkProgress:
        self._started = time.perf_counter()
        if self.display == "bar":
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("rows, {task.fields[chunks]} chunks, {task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=rich.get_console(),
            )
            self._bar.start()
            self._task = self._bar.add_task(
                self.description, total=self.total_rows, chunks=0, rate="- rows/s"
            )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    @property
    def seconds(self) -> float:
        """Seconds since the work started."""
        return time.perf_counter() - self._started

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def advance(self, rows: int) -> None:
        """One more chunk of ``rows`` rows done."""
        self.rows += rows
        self.chunks += 1
        rate = f"{self.rows_per_second:,.0f} rows/s"
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task, completed=self.rows, chunks=self.chunks, rate=rate
            )
        elif self.display == "log":
            self._log.info(
                "%s: chunk %d, %s rows, %s%s",
                self.description,
                self.chunks,
                f"{self.rows:,}{self._of_total()}",
                rate,
                self._eta(),
            )

    def _of_total(self) -> str:
        return f" of {self.total_rows:,}" if self.total_rows else ""

    def _eta(self) -> str:
        if not self.total_rows or not self.rows:
            return ""
        left = max(self.total_rows - self.rows, 0) / self.rows_per_second
        return f", ETA {left:.0f} s"
