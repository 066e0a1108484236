"""Custom Kedro datasets: the run's recipe, where loader SQL runs, where Optuna
studies live."""

from mmp_kedro.datasets.optuna_storage import OptunaStorageDataset
from mmp_kedro.datasets.recipe_dataset import RecipeDataset
from mmp_kedro.datasets.sql_engine import SQLEngineDataset

__all__ = ["OptunaStorageDataset", "RecipeDataset", "SQLEngineDataset"]
