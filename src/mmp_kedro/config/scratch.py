"""Where a run keeps its intermediate files: a directory of its own, never shared.

Two ``kedro run`` processes in one project each get their own directory, so one
run can never read the train set or the model another run has just written. The
files outlive the run only inside MLflow (the artifact and the run's reports).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

_SCRATCH_PREFIX = "mmp-kedro-run-"


def run_scratch_path(name: str) -> str:
    """``${run_scratch:<name>}`` in the catalog: ``<name>`` inside this process's
    scratch directory, created on first use and removed when the process ends."""
    return (_scratch_dir() / name).as_posix()


@functools.cache
def _scratch_dir() -> Path:
    directory = Path(tempfile.mkdtemp(prefix=_SCRATCH_PREFIX))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory
