"""What a failed ``kedro run`` tells its user: the real error, in a line or two.

When a node fails after the first one, Kedro looks for a ``--from-nodes`` to suggest
and kedro-mlflow's training pipeline raises while it does (free inference inputs),
so the error that reaches the command line is that one, the node's own error
attached to it as the error it happened during. :func:`real_error` walks back to it.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from kedro_mlflow.pipeline.pipeline_ml import KedroMlflowPipelineMLError

from mmp_kedro.services.redaction import redacted_text

#: The note ``NodeFailureHook`` adds to a node's error: ``in node '<name>'``.
NODE_NOTE_PREFIX = "in node "

#: Lines of the real error's message shown; the rest is in the traceback file.
MESSAGE_LINES = 6


def real_error(error: BaseException) -> BaseException:
    """The node's own error behind a kedro-mlflow error raised while Kedro was
    suggesting how to resume the run; ``error`` itself otherwise."""
    while isinstance(error, KedroMlflowPipelineMLError) and error.__context__:
        error = error.__context__
    return error


def failure_summary(error: BaseException, what: str = "Run failed") -> str:
    """``<what> <node>: <Type>: <message>`` for the real error behind ``error``, its
    message cut to a few lines and any login in it shown as ``***``."""
    error = real_error(error)
    notes = getattr(error, "__notes__", ())
    node = next((n for n in notes if n.startswith(NODE_NOTE_PREFIX)), None)
    lines = redacted_text(str(error)).strip().splitlines() or [""]
    message = "\n".join(lines[:MESSAGE_LINES])
    if len(lines) > MESSAGE_LINES:
        message += f"\n... ({len(lines) - MESSAGE_LINES} more lines in the traceback)"
    where = f" {node}" if node else ""
    return f"{what}{where}: {type(error).__name__}: {message}"


def write_traceback(error: BaseException, path: Path) -> Path:
    """The whole traceback of ``error`` (its chain included) in ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(redacted_text("".join(traceback.format_exception(error))))
    return path
