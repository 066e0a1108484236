"""The feature store a process predicts with, bound at run time, never pickled.

The wrapped artifact holds *which* features it needs (``augmenter_config``), not
*where* they live. Whoever loads the model binds the store of its own env:
the Kedro hook does it for ``kedro run``, the serving app at start-up. A bare
``mlflow.pyfunc.load_model(...)`` in another process falls back to the Kedro
project named by ``MMP_PROJECT_PATH`` (default: the working directory) and the env
named by ``KEDRO_ENV`` (default ``local``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mmp_kedro.config import environment
from mmp_kedro.config.loader import config_loader
from mmp_kedro.feature_store.config import load_settings

if TYPE_CHECKING:  # feast is slow to import; nothing here needs it at import time
    from feast import FeatureStore


class FeatureStoreNotBoundError(RuntimeError):
    """No feature store could be bound for this process."""


class _Binding:
    """The process's factory, the store it built (built once, on first use), and
    what was read from that store's registry while the binding lasts."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.factory: Callable[[], FeatureStore] | None = None
        self.store: FeatureStore | None = None
        self.join_keys: dict[tuple[str, ...], tuple[str, ...]] = {}


_binding = _Binding()


def bind_feature_store(factory: Callable[[], FeatureStore] | None) -> None:
    """Bind a factory; the store is built on first use and then reused."""
    with _binding.lock:
        _binding.factory, _binding.store = factory, None
        _binding.join_keys = {}


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


def entity_join_keys(namespaces: tuple[str, ...]) -> tuple[str, ...]:
    """Join keys of the entities behind the bound store's feature views
    ``namespaces``, in first-use order.

    Read from the registry once per binding: a registry look-up costs milliseconds,
    and a view's entities do not change while a process holds its store.
    """
    store = get_feature_store()
    with _binding.lock:
        if namespaces not in _binding.join_keys:
            keys: dict[str, None] = {}
            for namespace in namespaces:
                for column in store.get_feature_view(namespace).entity_columns:
                    keys.setdefault(column.name, None)
            _binding.join_keys[namespaces] = tuple(keys)
        return _binding.join_keys[namespaces]


def feature_store_factory(project_path: Path, env: str) -> Callable[[], FeatureStore]:
    """A factory building ``env``'s store of the project; conf is read when it is
    called."""

    def build() -> FeatureStore:
        from mmp_kedro.feature_store.store import build_feature_store

        settings, credentials = load_settings(config_loader(project_path, env))
        return build_feature_store(settings, credentials, project_path)

    return build


def _factory_from_environment() -> Callable[[], FeatureStore]:
    project_path = environment.project_path()
    env = environment.run_env()
    if not (project_path / "conf").is_dir():
        raise FeatureStoreNotBoundError(
            f"the model needs a feature store but none is bound, and {project_path} "
            f"has no conf/ folder: set {environment.PROJECT_PATH_VARIABLE} to the "
            f"mmp-kedro project (and {environment.ENV_VARIABLE} to its env), or call "
            "mmp_kedro.feature_store.bind_feature_store(...) before predicting"
        )
    return feature_store_factory(project_path, env)
