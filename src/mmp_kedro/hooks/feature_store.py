"""Binds the env's feature store for everything a session runs."""

from __future__ import annotations

from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl

from mmp_kedro.feature_store import bind_feature_store, feature_store_factory


class FeatureStoreHook:
    """The session's env's store, built on first use from the project's conf."""

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        bind_feature_store(feature_store_factory(context.project_path, context.env))
