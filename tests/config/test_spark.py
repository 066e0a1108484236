"""``spark.yml``: validated once, its options handed to Spark as Spark reads them."""

from __future__ import annotations

import pytest
from project_helpers import PROJECT_ROOT

from mmp_kedro.config.loader import config_loader
from mmp_kedro.config.spark import parse_spark_settings


def test_the_projects_spark_yml_is_valid_and_local_by_default(monkeypatch):
    monkeypatch.delenv("SPARK_MASTER", raising=False)
    settings = parse_spark_settings(
        config_loader(PROJECT_ROOT, "local")["spark"], "local"
    )
    assert settings.master == "local[2]"
    conf = settings.spark_conf()
    assert conf["spark.sql.session.timeZone"] == "UTC"
    assert conf["spark.sql.execution.arrow.pyspark.enabled"] == "true"  # not "True"
    assert conf["spark.sql.execution.arrow.maxRecordsPerBatch"] == "100000"


def test_spark_master_points_the_same_command_at_a_cluster(monkeypatch):
    monkeypatch.setenv("SPARK_MASTER", "spark://10.0.0.5:7077")
    spark_yml = config_loader(PROJECT_ROOT, "dev")["spark"]
    assert parse_spark_settings(spark_yml, "dev").master == "spark://10.0.0.5:7077"


def test_a_wrong_field_is_named_with_the_file():
    with pytest.raises(
        ValueError, match=r"conf/dev/spark.yml .*master: Field required"
    ):
        parse_spark_settings({"app_name": "x"}, "dev")
    with pytest.raises(ValueError, match=r"executors: Extra inputs"):
        parse_spark_settings(
            {"master": "local[2]", "app_name": "x", "executors": 3}, "dev"
        )
