"""Project settings: hooks and the config loader.

The ``local`` env is the LOCAL environment of the blueprint and Kedro's default run
env; ``dev`` and ``prod`` are chosen with ``kedro run --env <env>``.
"""

from kedro.config import OmegaConfigLoader

from mmp_kedro.config.loader import CONFIG_LOADER_ARGS  # noqa: F401 - read by Kedro
from mmp_kedro.hooks import (
    FeatureStoreHook,
    MlflowRunHook,
    NodeTimingHook,
    PerformanceMonitoringHook,
    PreflightHook,
    RecipeHook,
)
from mmp_kedro.runtime.collector import CollectorHook

HOOKS = (
    CollectorHook(),  # first: the project's libraries load after it is created
    PreflightHook(),
    FeatureStoreHook(),
    RecipeHook(),
    MlflowRunHook(),
    NodeTimingHook(),
    PerformanceMonitoringHook(),
)

CONFIG_LOADER_CLASS = OmegaConfigLoader
