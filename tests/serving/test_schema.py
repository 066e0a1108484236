"""The API's request model comes from the artifact's loader SQL (sqlglot)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mmp_kedro.spine import LoaderSQLError
from serving.schema import build_request_model, request_fields

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
    model = build_request_model({"customer_id": str, "visit": str})
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
