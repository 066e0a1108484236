"""Custom Kedro datasets."""

from mmp_kedro.datasets.sql_engine import SQLEngineDataset, SQLQueryRunner

__all__ = ["SQLEngineDataset", "SQLQueryRunner"]
