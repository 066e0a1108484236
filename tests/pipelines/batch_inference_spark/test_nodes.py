"""``spark_result_type``: the UDF's Spark types are the artifact signature's."""

from __future__ import annotations

import pytest
from mlflow.types import ColSpec, Schema

from mmp_kedro.pipelines.batch_inference_spark.nodes import spark_result_type

OUTPUT = Schema(
    [
        ColSpec("string", "user_id"),
        ColSpec("datetime", "event_timestamp"),
        ColSpec("long", "prediction"),
        ColSpec("float", "probability"),
        ColSpec("double", "uplift_score"),
    ]
)


def test_types_follow_the_signature_in_the_asked_order():
    assert spark_result_type(OUTPUT, ["probability", "prediction"]) == (
        "`probability` float, `prediction` bigint"
    )
    assert spark_result_type(OUTPUT, ["uplift_score"]) == "`uplift_score` double"


def test_a_column_the_signature_lacks_is_named():
    with pytest.raises(ValueError, match="'cluster' as nothing"):
        spark_result_type(OUTPUT, ["cluster"])
