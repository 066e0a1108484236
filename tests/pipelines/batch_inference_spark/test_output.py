"""``batch_predictions_spark`` as the catalog defines it: a Spark job that fails
part-way leaves no part file and no ``_SUCCESS``, nothing that reads as whole."""

from __future__ import annotations

import os
import sys

import pyarrow.parquet as pq
import pytest
import yaml
from kedro.io import DatasetError
from kedro_datasets.spark import SparkDataset
from project_helpers import PROJECT_ROOT
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T


@pytest.fixture(scope="module")
def spark():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    yield session
    session.stop()


def _dataset(path) -> SparkDataset:
    catalog = yaml.safe_load((PROJECT_ROOT / "conf/base/catalog.yml").read_text())
    entry = dict(catalog["batch_predictions_spark"])
    assert entry.pop("type") == "spark.SparkDataset"
    return SparkDataset(**{**entry, "filepath": str(path)})


@F.udf(T.LongType())
def _fails_on_row_77(value):
    if value == 77:
        raise ValueError("row 77 cannot be scored")
    return value


def test_a_failed_job_commits_nothing(spark, tmp_path):
    output = tmp_path / "batch_predictions_spark"
    dataset = _dataset(output)
    dataset.save(spark.range(100).repartition(2))
    assert (output / "_SUCCESS").exists()
    assert pq.read_table(output).num_rows == 100

    failing = spark.range(100).repartition(4).select(_fails_on_row_77("id").alias("id"))
    with pytest.raises(DatasetError, match="row 77 cannot be scored"):
        dataset.save(failing)
    assert not (output / "_SUCCESS").exists()
    assert not [p for p in output.rglob("*.parquet")]  # not one partition kept
