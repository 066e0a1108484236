"""``FeatureStoreHook`` binds the context's env's feature store, built from its conf."""

from __future__ import annotations

from pathlib import Path

from mmp_kedro.feature_store import get_feature_store, unbind_feature_store
from mmp_kedro.hooks.feature_store import FeatureStoreHook


def test_binds_the_store_of_the_contexts_env(kedro_context, local_project: Path):
    unbind_feature_store()
    FeatureStoreHook().after_context_created(kedro_context("local"))

    store = get_feature_store()
    assert store.config.registry.path == str(local_project / "data/feast/registry.db")
    assert store.config.online_store.type == "sqlite"
    assert {view.name for view in store.list_feature_views()} >= {
        "user_demographics",
        "session_summary",
    }
