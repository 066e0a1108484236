"""Feast, configured per env from ``conf/*/feature_store.yml``."""

from mmp_kedro.feature_store.binding import (
    FeatureStoreNotBoundError,
    bind_feature_store,
    get_feature_store,
    unbind_feature_store,
)
from mmp_kedro.feature_store.store import (
    FeatureStoreConfigError,
    build_definitions,
    build_feature_store,
)

__all__ = [
    "FeatureStoreConfigError",
    "FeatureStoreNotBoundError",
    "bind_feature_store",
    "build_definitions",
    "build_feature_store",
    "get_feature_store",
    "unbind_feature_store",
]
