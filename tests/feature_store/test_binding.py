"""The feature store a process binds: built once, and its views' join keys read from
the registry once per binding."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmp_kedro.feature_store import (
    FeatureStoreNotBoundError,
    bind_feature_store,
    entity_join_keys,
    feature_store_factory,
    get_feature_store,
    unbind_feature_store,
)


@pytest.fixture
def bound(local_project: Path):
    bind_feature_store(feature_store_factory(local_project, "local"))
    yield get_feature_store()
    unbind_feature_store()


def test_the_store_is_built_once_per_binding(bound):
    assert get_feature_store() is bound


def test_join_keys_are_read_once_per_binding(bound, monkeypatch):
    calls = []
    real = bound.get_feature_view

    def counted(name, *args, **kwargs):
        calls.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(bound, "get_feature_view", counted)
    views = ("user_demographics", "product_details", "user_purchase_summary")
    assert entity_join_keys(views) == ("user_id", "product_id")
    assert entity_join_keys(views) == ("user_id", "product_id")
    assert calls == list(views)


def test_rebinding_forgets_what_was_read(bound, local_project):
    entity_join_keys(("session_summary",))
    bind_feature_store(feature_store_factory(local_project, "local"))
    assert get_feature_store() is not bound


def test_unbound_outside_a_project_says_what_to_set(tmp_path, monkeypatch):
    unbind_feature_store()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MMP_PROJECT_PATH", raising=False)
    monkeypatch.delenv("MMP_KEDRO_PROJECT_PATH", raising=False)
    with pytest.raises(FeatureStoreNotBoundError, match=r"set MMP_PROJECT_PATH"):
        get_feature_store()
