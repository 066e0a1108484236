"""Progress of chunked work: a rich bar on a terminal, a log line per chunk elsewhere."""

from __future__ import annotations

import io
import logging

import pytest
import rich
from rich.console import Console

from mmp_kedro.services.progress import ChunkProgress

log = logging.getLogger("test.progress")


@pytest.fixture
def terminal(monkeypatch) -> io.StringIO:
    """The process's rich console, as on a terminal, writing to a buffer."""
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=140)
    monkeypatch.setattr(rich, "get_console", lambda: console)
    return screen


def test_on_a_terminal_auto_draws_a_bar_with_rows_rate_and_eta(terminal) -> None:
    with ChunkProgress("batch inference", 300, "auto", log) as progress:
        for _ in range(3):
            progress.advance(100)
    assert progress.display == "bar"
    shown = terminal.getvalue()
    assert "batch inference" in shown
    assert "300/300" in shown
    assert "3 chunks" in shown and "rows/s" in shown and "ETA" in shown


def test_elsewhere_auto_logs_a_line_per_chunk(caplog) -> None:
    with (
        caplog.at_level(logging.INFO, logger="test.progress"),
        ChunkProgress("batch inference", 250, "auto", log) as progress,
    ):
        progress.advance(100)
        progress.advance(100)
        progress.advance(50)
    assert progress.display == "log"
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert lines[0].startswith("batch inference: chunk 1, 100 of 250 rows, ")
    assert "rows/s, ETA" in lines[0]
    assert lines[2].startswith("batch inference: chunk 3, 250 of 250 rows, ")
    assert (progress.rows, progress.chunks) == (250, 3)


def test_off_shows_nothing(terminal, caplog) -> None:
    with caplog.at_level(logging.INFO), ChunkProgress("x", None, "off", log) as p:
        p.advance(10)
    assert terminal.getvalue() == "" and not caplog.records
