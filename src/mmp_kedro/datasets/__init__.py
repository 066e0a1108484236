"""Custom Kedro datasets: the run's recipe, where loader SQL runs, where Optuna
studies live, outputs written all or nothing, reports kept as table rows."""

from mmp_kedro.datasets.optuna_storage import OptunaStorageDataset
from mmp_kedro.datasets.recipe_dataset import RecipeDataset
from mmp_kedro.datasets.report_table import ReportTableDataset
from mmp_kedro.datasets.sql_engine import SQLEngineDataset
from mmp_kedro.datasets.staged import StagedParquetDataset, StagedSQLTableDataset

__all__ = [
    "OptunaStorageDataset",
    "RecipeDataset",
    "ReportTableDataset",
    "SQLEngineDataset",
    "StagedParquetDataset",
    "StagedSQLTableDataset",
]
