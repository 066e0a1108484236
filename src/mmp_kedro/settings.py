"""Project settings: hooks and the config loader.

The ``local`` env is the LOCAL environment of the blueprint and Kedro's default run
env; ``dev`` and ``prod`` are chosen with ``kedro run --env <env>``.
"""

from kedro.config import OmegaConfigLoader

from mmp_kedro.config.loader import CONFIG_LOADER_ARGS  # noqa: F401 - read by Kedro
from mmp_kedro.hooks import (
    ExperimentHook,
    FeatureStoreHook,
    MlflowRunHook,
    ModelRegistryHook,
    NodeFailureHook,
    NodeTimingHook,
    PerformanceMonitoringHook,
    PreflightHook,
    RecipeHook,
    RunInterruptionHook,
    RunSummaryHook,
    SparkSessionHook,
    StagedOutputsHook,
)
from mmp_kedro.runtime.chunk_streams import free_saved_chunks
from mmp_kedro.runtime.collector import CollectorHook
from mmp_kedro.services.third_party_noise import silence_third_party_noise

# Also for sessions outside `kedro run`: notebooks, kedro viz.
silence_third_party_noise()
# batch inference's chunks, each freed once saved, not when its node ends.
free_saved_chunks()

HOOKS = (
    # First: the pipelines, and Feast, causalml and scikit-learn with them, load after.
    CollectorHook(),
    # Both tryfirst: pluggy calls the later-registered first, so the server is
    # checked before the experiment is looked up on it.
    ExperimentHook(),
    PreflightHook(),
    FeatureStoreHook(),
    RecipeHook(),
    MlflowRunHook(),
    NodeTimingHook(),
    NodeFailureHook(),
    PerformanceMonitoringHook(),
    RunInterruptionHook(),
    StagedOutputsHook(),
    SparkSessionHook(),
    # Both trylast: pluggy calls the earlier-registered of two trylast hooks last,
    # so the model is registered before the summary, which shows it.
    ModelRegistryHook(),
    RunSummaryHook(),
)

CONFIG_LOADER_CLASS = OmegaConfigLoader
