"""Read an env's feature-store settings from a Kedro project's ``conf/``."""

from __future__ import annotations

import copy
from typing import Any

from kedro.config import MissingConfigException, OmegaConfigLoader


def load_settings(
    loader: OmegaConfigLoader,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(feature_store.yml settings, feature_store credentials)`` for the env."""
    settings = dict(loader["feature_store"])
    try:
        credentials = dict(loader["credentials"].get("feature_store") or {})
    except MissingConfigException:  # an env without credentials.yml (LOCAL) is fine
        credentials = {}
    return settings, credentials


def merged_repo_config(
    settings: dict[str, Any], credentials: dict[str, Any]
) -> dict[str, Any]:
    """Feast's ``repo_config`` with the env's ``feature_store`` credentials merged in
    (deeply: a credential key overrides only what it names). A new dict, in memory."""
    return _deep_merge(settings.get("repo_config") or {}, credentials or {})


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
