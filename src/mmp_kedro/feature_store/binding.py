"""The feature store a process predicts with, bound at run time, never pickled.

The wrapped artifact holds *which* features it needs (``augmenter_config``), not
*where* they live. Whoever loads the model binds the store of its own env:
the Kedro hook does it for ``kedro run``, the serving app at start-up. A bare
``mlflow.pyfunc.load_model(...)`` in another process falls back to the Kedro
project named by ``MMP_KEDRO_PROJECT_PATH`` (default: the working directory) and
the env named by ``KEDRO_ENV`` (default ``local``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # feast is slow to import; nothing here needs it at import time
    from feast import FeatureStore


class FeatureStoreNotBoundError(RuntimeError):
    """No feature store could be bound for this process."""


class _Binding:
    """The process's factory and the store it built (built once, on first use)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.factory: Callable[[], FeatureStore] | None = None
        self.store: FeatureStore | None = None


_binding = _Binding()


def bind_feature_store(factory: Callable[[], FeatureStore] | None) -> None:
    """Bind a factory; the store is built on first use and then reused."""
    with _binding.lock:
        _binding.factory, _binding.store = factory, None


def unbind_feature_store() -> None:
    """Forget the bound store (tests, or a process switching env)."""
    bind_feature_store(None)


def get_feature_store() -> FeatureStore:
    """The bound store, building it on first use."""
    with _binding.lock:
        if _binding.store is None:
            factory = _binding.factory or _factory_from_environment()
            _binding.store = factory()
        return _binding.store


def _factory_from_environment() -> Callable[[], FeatureStore]:
    from mmp_kedro.feature_store.project import feature_store_factory

    project_path = Path(os.environ.get("MMP_KEDRO_PROJECT_PATH", Path.cwd()))
    env = os.environ.get("KEDRO_ENV", "local")
    if not (project_path / "conf").is_dir():
        raise FeatureStoreNotBoundError(
            f"the model needs a feature store but none is bound, and {project_path} "
            "has no conf/ folder: set MMP_KEDRO_PROJECT_PATH to the mmp-kedro project "
            "(and KEDRO_ENV to its env), or call "
            "mmp_kedro.feature_store.bind_feature_store(...) before predicting"
        )
    return feature_store_factory(project_path, env)
