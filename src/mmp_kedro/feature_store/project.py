"""Read an env's feature-store settings from a Kedro project's ``conf/``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kedro.config import OmegaConfigLoader

from mmp_kedro.configuration import config_loader

if TYPE_CHECKING:
    from feast import FeatureStore


def load_settings(
    loader: OmegaConfigLoader,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(feature_store.yml settings, feature_store credentials)`` for the env."""
    settings = dict(loader["feature_store"])
    try:
        credentials = dict(loader["credentials"].get("feature_store") or {})
    except Exception:  # noqa: BLE001 - an env without credentials.yml is fine
        credentials = {}
    return settings, credentials


def feature_store_factory(project_path: Path, env: str) -> Callable[[], FeatureStore]:
    """A factory building the env's store; reading conf happens when it is called."""

    def build() -> FeatureStore:
        from mmp_kedro.feature_store.store import build_feature_store

        settings, credentials = load_settings(config_loader(project_path, env))
        return build_feature_store(settings, credentials, project_path)

    return build
