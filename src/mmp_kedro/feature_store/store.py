"""Build a Feast ``FeatureStore`` from the env's ``feature_store.yml`` and credentials.

``conf/base/feature_store.yml`` declares the entities and feature views (the data
engineering contract, identical in every env); ``conf/<env>/feature_store.yml`` says
where they live (Feast ``repo_config`` and how each view's source is read). Secrets
come from ``credentials.yml`` (``feature_store:`` key, ``${oc.env:...}`` only) and
are merged in memory, never written anywhere.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from feast import Entity, FeatureStore, FeatureView, Field, FileSource, RepoConfig
from feast import types as feast_types
from feast.value_type import ValueType

from mmp_kedro.feature_store.config import merged_repo_config


class FeatureStoreConfigError(ValueError):
    """``feature_store.yml`` does not describe a usable feature store."""


def build_feature_store(
    settings: dict[str, Any], credentials: dict[str, Any], project_path: Path
) -> FeatureStore:
    """A ``FeatureStore`` for the env; connects lazily, on first use."""
    repo_config = merged_repo_config(settings, credentials)
    if not repo_config:
        raise FeatureStoreConfigError(
            "feature_store.yml has no 'repo_config' for this env (the Feast registry, "
            "offline_store and online_store settings)"
        )
    repo_config.setdefault("project", settings.get("project", "mmp_kedro"))
    repo_config.setdefault("provider", "local")
    repo_config.setdefault("entity_key_serialization_version", 3)
    registry = repo_config.get("registry")
    if isinstance(registry, dict) and registry.get("registry_type", "file") == "file":
        registry["path"] = str(_absolute(project_path, registry["path"]))
    online = repo_config.get("online_store")
    if isinstance(online, dict) and online.get("type") == "sqlite":
        online["path"] = str(_absolute(project_path, online["path"]))
    return FeatureStore(repo_path=str(project_path), config=RepoConfig(**repo_config))


def build_definitions(
    settings: dict[str, Any], project_path: Path
) -> list[Entity | FeatureView]:
    """Feast entities and feature views from the YAML contract and the env's source."""
    entities = {
        name: Entity(
            name=name,
            join_keys=[spec["join_key"]],
            value_type=ValueType[spec.get("value_type", "STRING")],
            description=spec.get("description", ""),
        )
        for name, spec in (settings.get("entities") or {}).items()
    }
    views: list[Entity | FeatureView] = list(entities.values())
    source_settings = settings.get("source") or {}
    for view_name, spec in (settings.get("feature_views") or {}).items():
        unknown = set(spec["entities"]) - set(entities)
        if unknown:
            raise FeatureStoreConfigError(
                f"feature_views.{view_name}.entities: unknown entities {sorted(unknown)}"
            )
        views.append(
            FeatureView(
                name=view_name,
                entities=[entities[e] for e in spec["entities"]],
                ttl=timedelta(days=float(spec.get("ttl_days", 365))),
                schema=[
                    Field(name=feature, dtype=getattr(feast_types, dtype))
                    for feature, dtype in spec["features"].items()
                ],
                source=_build_source(view_name, spec, source_settings, project_path),
                online=True,
            )
        )
    return views


def _build_source(
    view_name: str, spec: dict[str, Any], source: dict[str, Any], project_path: Path
) -> Any:
    kind = source.get("type", "file")
    timestamp_field = spec.get("timestamp_field", "feature_timestamp")
    if kind == "file":
        path = source["path_template"].format(name=view_name)
        return FileSource(
            name=f"{view_name}_source",
            path=str(_absolute(project_path, path)),
            timestamp_field=timestamp_field,
        )
    if kind == "postgres":
        from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import (  # noqa: E501
            PostgreSQLSource,
        )

        return PostgreSQLSource(
            name=f"{view_name}_source",
            table=source["table_template"].format(name=view_name),
            timestamp_field=timestamp_field,
        )
    if kind == "bigquery":
        from feast import BigQuerySource

        return BigQuerySource(
            name=f"{view_name}_source",
            table=source["table_template"].format(name=view_name),
            timestamp_field=timestamp_field,
        )
    raise FeatureStoreConfigError(
        f"feature_store.yml source.type '{kind}' is not one of file, postgres, bigquery"
    )


def _absolute(project_path: Path, path: str) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else project_path / candidate
