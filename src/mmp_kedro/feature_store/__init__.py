"""Feast, configured per env from ``conf/*/feature_store.yml`` and bound per process."""

from mmp_kedro.feature_store.binding import (
    FeatureStoreNotBoundError,
    bind_feature_store,
    entity_join_keys,
    feature_store_factory,
    get_feature_store,
    unbind_feature_store,
)

__all__ = [
    "FeatureStoreNotBoundError",
    "bind_feature_store",
    "entity_join_keys",
    "feature_store_factory",
    "get_feature_store",
    "unbind_feature_store",
]
