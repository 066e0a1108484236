"""Feast's debug-time type checks left out of a serving process (why:
:mod:`mmp_kedro.runtime`)."""

from __future__ import annotations

import sys
from typing import Any

import typeguard


def _not_instrumented(target: Any = None, **_options: Any) -> Any:
    """``typeguard.typechecked`` as it is under ``python -O``: the target unchanged."""
    if target is None:
        return _not_instrumented
    return target


def skip_typeguard_instrumentation() -> None:
    """Make ``@typeguard.typechecked`` a no-op for modules imported from now on.

    Feast decorates its public classes with it, and typeguard re-parses and
    re-compiles every decorated function's source at import: most of Feast's import
    time, seconds of a server's start. typeguard documents the decorator as a check
    "not meant to be run in production" and turns it off under ``python -O``; this
    does the same for it alone, keeping every ``assert``.

    Raises:
        RuntimeError: Feast is imported already (too late to skip anything).
    """
    if "feast" in sys.modules:
        raise RuntimeError(
            "skip_typeguard_instrumentation must run before feast is imported"
        )
    typeguard.typechecked = _not_instrumented


def skip_for_kedro_commands() -> None:
    """Kedro's ``kedro.init`` entry point: the same for a ``kedro`` command, which
    imports Feast once its session starts; nothing when Feast is imported already.

    ``python -m mmp_kedro.feature_store apply``, which builds the feature
    definitions from conf, keeps Feast's checks (it is not a ``kedro`` command).
    """
    if "feast" not in sys.modules:
        skip_typeguard_instrumentation()
