"""Which Kedro env and which project a process outside ``kedro run`` works in.

``KEDRO_ENV`` is Kedro's own variable (``kedro run`` reads it too), so one setting
picks the env for every command in a container; ``MMP_PROJECT_PATH`` names the
project whose ``conf/`` binds that env's feature store. The serving app, its
container and a bare ``mlflow.pyfunc.load_model`` read these two.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path

from mmp_kedro.config.loader import DEFAULT_ENV

ENV_VARIABLE = "KEDRO_ENV"
PROJECT_PATH_VARIABLE = "MMP_PROJECT_PATH"

#: Names read before this release, still honoured with a deprecation warning.
DEPRECATED_VARIABLES = {
    "MMP_ENV": ENV_VARIABLE,
    "MMP_KEDRO_PROJECT_PATH": PROJECT_PATH_VARIABLE,
}


def run_env(environ: Mapping[str, str] = os.environ) -> str:
    """The env named by ``KEDRO_ENV`` (or its deprecated name), else ``local``."""
    return _read(ENV_VARIABLE, environ) or DEFAULT_ENV


def project_path(
    environ: Mapping[str, str] = os.environ, default: Path | None = None
) -> Path:
    """The project named by ``MMP_PROJECT_PATH`` (or its deprecated name), else
    ``default``, else the working directory."""
    return Path(_read(PROJECT_PATH_VARIABLE, environ) or default or Path.cwd())


def _read(name: str, environ: Mapping[str, str]) -> str | None:
    value = environ.get(name) or None
    for old, new in DEPRECATED_VARIABLES.items():
        if new != name or not environ.get(old):
            continue
        if value is None:
            warnings.warn(
                f"{old} is deprecated and will stop working in the next release: "
                f"set {new} instead",
                FutureWarning,  # shown by default: the user is the one to act
                stacklevel=3,
            )
            value = environ[old]
        elif environ[old] != value:
            warnings.warn(
                f"{old} is deprecated and ignored because {new} is set: unset {old}",
                FutureWarning,
                stacklevel=3,
            )
    return value
