"""Feast, configured per env from ``conf/*/feature_store.yml``."""

from mmp_kedro.feature_store.binding import (
    FeatureStoreNotBoundError,
    bind_feature_store,
    get_feature_store,
    unbind_feature_store,
)

__all__ = [
    "FeatureStoreNotBoundError",
    "bind_feature_store",
    "get_feature_store",
    "unbind_feature_store",
]
