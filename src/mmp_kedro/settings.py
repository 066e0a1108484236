"""Project settings: hooks and the config loader.

The ``local`` env is the LOCAL environment of the blueprint and Kedro's default run
env; ``dev`` and ``prod`` are chosen with ``kedro run --env <env>``.
"""

from mmp_kedro.gc_tuning import relax_while_loading

# First, before MLflow, Feast & co. load (see mmp_kedro.gc_tuning).
relax_while_loading()

from kedro.config import OmegaConfigLoader  # noqa: E402

from mmp_kedro.configuration import CONFIG_LOADER_ARGS  # noqa: E402, F401 - read by Kedro
from mmp_kedro.hooks import (  # noqa: E402
    FeatureStoreHook,
    GcFreezeHook,
    MlflowRunHook,
    PerformanceMonitoringHook,
    PreflightHook,
    RecipeHook,
)

HOOKS = (
    GcFreezeHook(),
    PreflightHook(),
    FeatureStoreHook(),
    RecipeHook(),
    MlflowRunHook(),
    PerformanceMonitoringHook(),
)

CONFIG_LOADER_CLASS = OmegaConfigLoader
