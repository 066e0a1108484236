"""The API's request model comes from the artifact's loader SQL (sqlglot)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mmp_kedro.spine import LoaderSQLError
from serving.schema import build_request_model, key_lengths, request_fields

JOINED_SQL = """
SELECT
    e.user_id AS customer_id,
    p.product_id,
    s.session_id AS visit,
    e.event_timestamp,
    e.grp,
    e.outcome
FROM events AS e
JOIN products AS p ON p.product_id = e.product_id
LEFT JOIN sessions AS s ON s.session_id = e.session_id
WHERE e.event_timestamp >= CAST(:start_date AS TIMESTAMP)
"""


def test_fields_honour_aliases_drop_prefixes_and_labels():
    fields = request_fields(JOINED_SQL, label_columns=["outcome", "grp"])
    assert fields == ["customer_id", "product_id", "visit"]


def test_select_star_is_refused_with_a_clear_error():
    with pytest.raises(LoaderSQLError, match=r"SELECT \*"):
        request_fields("SELECT * FROM events", label_columns=[])


def test_unnamed_expression_is_refused():
    with pytest.raises(LoaderSQLError, match="alias"):
        request_fields("SELECT user_id, 1 + 2 FROM events", label_columns=[])


def test_request_model_is_strict():
    model = build_request_model(
        {"customer_id": str, "visit": str}, {"customer_id": 16, "visit": 16}
    )
    assert model(customer_id="u1", visit="s1").model_dump() == {
        "customer_id": "u1",
        "visit": "s1",
    }
    for bad in (
        {"customer_id": 1, "visit": "s1"},
        {"customer_id": "u1"},
        {"customer_id": "u1", "visit": "s1", "extra": 1},
    ):
        with pytest.raises(ValidationError):
            model(**bad)


CAST_SQL = """
SELECT
    CAST(e.user_id AS VARCHAR(32)) AS user_id,
    e.product_id::CHAR(8) AS product_id,
    CAST(e.session_id AS VARCHAR) AS session_id,
    e.country,
    e.store_id,
    e.event_timestamp
FROM events AS e
"""
CAST_FIELDS = {
    "user_id": str,
    "product_id": str,
    "session_id": str,
    "country": str,
    "store_id": int,
}


def test_key_length_is_the_sql_declared_length_else_the_default():
    assert key_lengths(CAST_SQL, CAST_FIELDS, default=256) == {
        "user_id": 32,
        "product_id": 8,
        "session_id": 256,  # VARCHAR without a length
        "country": 256,  # no cast
    }  # store_id is an int: no length


def test_a_key_over_its_max_length_is_refused_naming_the_field():
    model = build_request_model({"user_id": str, "store_id": int}, {"user_id": 32})
    assert model(user_id="u" * 32, store_id=1).user_id == "u" * 32
    with pytest.raises(ValidationError) as refused:
        model(user_id="u" * 33, store_id=1)
    (error,) = refused.value.errors()
    assert error["type"] == "string_too_long" and error["loc"] == ("user_id",)
    assert error["ctx"] == {"max_length": 32}
    assert model.model_json_schema()["properties"]["user_id"]["maxLength"] == 32
