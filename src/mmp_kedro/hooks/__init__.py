"""Project hooks, one per module; ``settings.py`` registers them in order.

Recipe validation runs ``tryfirst`` in ``before_pipeline_run``, before kedro-mlflow
opens a run there, so a broken recipe leaves no MLflow run at all.
"""

from mmp_kedro.hooks.experiment import ExperimentHook
from mmp_kedro.hooks.feature_store import FeatureStoreHook
from mmp_kedro.hooks.interruption import RunInterruptionHook
from mmp_kedro.hooks.mlflow_run import MlflowRunHook
from mmp_kedro.hooks.model_registry import ModelRegistryHook
from mmp_kedro.hooks.node_failure import NodeFailureHook
from mmp_kedro.hooks.node_timing import NodeTimingHook
from mmp_kedro.hooks.performance_monitoring import PerformanceMonitoringHook
from mmp_kedro.hooks.preflight import PreflightHook
from mmp_kedro.hooks.recipe import RecipeHook
from mmp_kedro.hooks.run_summary import RunSummaryHook
from mmp_kedro.hooks.spark_session import SparkSessionHook
from mmp_kedro.hooks.staged_outputs import StagedOutputsHook

__all__ = [
    "ExperimentHook",
    "FeatureStoreHook",
    "MlflowRunHook",
    "ModelRegistryHook",
    "NodeFailureHook",
    "NodeTimingHook",
    "PerformanceMonitoringHook",
    "PreflightHook",
    "RecipeHook",
    "RunInterruptionHook",
    "RunSummaryHook",
    "SparkSessionHook",
    "StagedOutputsHook",
]
