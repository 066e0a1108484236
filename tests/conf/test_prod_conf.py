"""PROD (BigQuery, Redis, GCS) cannot be reached from here: its config must still
resolve, and every catalog entry must be constructible without connecting."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from feast import BigQuerySource, FeatureView, RepoConfig
from kedro.io import DataCatalog
from project_helpers import PROJECT_ROOT

from mmp_kedro.config.loader import config_loader
from mmp_kedro.config.training import TuningParams
from mmp_kedro.datasets import OptunaStorageDataset, SQLEngineDataset
from mmp_kedro.feature_store.config import load_settings, merged_repo_config
from mmp_kedro.feature_store.store import build_definitions

PROD_ENV = {
    "GCP_PROJECT": "acme-ml",
    "BQ_DATASET": "lake",
    "CLOUDSQL_USER": "mmp",
    "CLOUDSQL_PASSWORD": "not-a-real-password",
    "CLOUDSQL_HOST": "10.1.2.3",
    "REDIS_HOST": "redis.internal",
    "REDIS_PASSWORD": "not-a-real-redis-password",
    "MLFLOW_TRACKING_URI": "https://mlflow.internal",
}


@pytest.fixture
def prod_loader(monkeypatch: pytest.MonkeyPatch):
    for name, value in PROD_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    return config_loader(PROJECT_ROOT, "prod")


def test_every_prod_catalog_entry_is_constructed_without_connecting(prod_loader):
    catalog = DataCatalog.from_config(
        prod_loader["catalog"], prod_loader["credentials"]
    )
    datasets = {name: catalog.get(name) for name in catalog.keys()}
    assert isinstance(datasets["spine_loader"], SQLEngineDataset)
    assert isinstance(datasets["optuna_storage"], OptunaStorageDataset)
    assert {"batch_predictions", "batch_intermediates"} <= set(datasets)
    assert "bigquery" in str(datasets["spine_loader"])
    # The Optuna storage URL holds the Cloud SQL password: its description must not.
    storage = datasets["optuna_storage"]
    url = sa.engine.make_url(storage.load())  # the URL Optuna connects with
    assert url.get_backend_name() == "postgresql"  # an RDB: workers can share it
    assert url.password == PROD_ENV["CLOUDSQL_PASSWORD"]  # so there is one to hide
    for shown in (str(storage), repr(storage)):
        assert PROD_ENV["CLOUDSQL_PASSWORD"] not in shown


def test_prod_feature_store_resolves_to_bigquery_and_redis(prod_loader):
    settings, credentials = load_settings(prod_loader)
    config = RepoConfig(**merged_repo_config(settings, credentials))
    assert config.offline_store.type == "bigquery"
    # Feast reads features in the GCP project the spine loader queries.
    spine_url = sa.engine.make_url(prod_loader["credentials"]["prod_bigquery"]["con"])
    assert spine_url.get_backend_name() == "bigquery"
    assert config.offline_store.project_id == spine_url.host != ""
    assert config.online_store.type == "redis"
    views = [
        d for d in build_definitions(settings, Path(".")) if isinstance(d, FeatureView)
    ]
    assert {v.name for v in views} == set(settings["feature_views"])
    assert all(isinstance(v.batch_source, BigQuerySource) for v in views)


def test_prod_tracks_to_the_mlflow_server_and_tunes_with_workers(
    prod_loader, monkeypatch
):
    base = config_loader(PROJECT_ROOT, "local")["mlflow"]["server"]
    tracking_uri = prod_loader["mlflow"]["server"]["mlflow_tracking_uri"]
    assert tracking_uri.startswith("https://")  # a server, not base's local store
    assert tracking_uri != base["mlflow_tracking_uri"]
    # The address is the one in the environment, whatever it is (none is in the conf).
    moved = "https://tracking.elsewhere.example"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", moved)
    reloaded = config_loader(PROJECT_ROOT, "prod")["mlflow"]["server"]
    assert reloaded["mlflow_tracking_uri"] == moved
    # As Kedro validates params:tuning for the search: several processes, 2 h limit.
    tuning = TuningParams.model_validate(prod_loader["parameters"]["tuning"])
    assert tuning.workers > 1
    assert tuning.timeout_seconds == 7200


def test_prod_without_its_variables_names_the_missing_one(monkeypatch):
    for name in PROD_ENV:
        monkeypatch.delenv(name, raising=False)
    loader = config_loader(PROJECT_ROOT, "prod")
    with pytest.raises(Exception, match="GCP_PROJECT|CLOUDSQL_USER|BQ_DATASET"):
        DataCatalog.from_config(loader["catalog"], loader["credentials"])
