"""Custom Kedro datasets: where loader SQL runs and where Optuna studies live."""

from mmp_kedro.datasets.optuna_storage import OptunaStorageDataset
from mmp_kedro.datasets.sql_engine import (
    SQLEngineDataset,
    SQLQueryError,
    SQLQueryRunner,
)

__all__ = [
    "OptunaStorageDataset",
    "SQLEngineDataset",
    "SQLQueryError",
    "SQLQueryRunner",
]
