"""The API's request model, derived from the artifact's loader SQL.

The request fields are the loader SQL's top-level SELECT output columns (aliases
honoured, table prefixes dropped, ``*`` refused) minus the event timestamp, the target
and the treatment: the same entity keys batch inference reads from the lake. A string
key is no longer than the SQL declares it (``CAST(... AS VARCHAR(n))``), else than
``api_serving.limits.max_key_length``.
"""

from __future__ import annotations

from typing import Any

from mlflow.models import ModelSignature
from pydantic import BaseModel, ConfigDict, Field, create_model

from mmp_kedro.spine import EVENT_TIMESTAMP, output_columns
from mmp_kedro.spine.sql import declared_string_lengths

_MLFLOW_TO_PYTHON: dict[str, type] = {
    "string": str,
    "long": int,
    "integer": int,
    "double": float,
    "float": float,
    "boolean": bool,
}


def request_fields(loader_sql: str, label_columns: list[str]) -> list[str]:
    """Entity-key fields a client sends: SQL output columns minus timestamp and labels."""
    excluded = {EVENT_TIMESTAMP, *label_columns}
    return [
        c
        for c in output_columns(loader_sql, "loader_sql_snapshot")
        if c not in excluded
    ]


def field_types(signature: ModelSignature | None, fields: list[str]) -> dict[str, type]:
    """Python types of the fields from the model's input signature (default ``str``)."""
    types = {name: str for name in fields}
    if signature is not None and signature.inputs is not None:
        for column in signature.inputs.inputs:
            if column.name in types:
                types[column.name] = _MLFLOW_TO_PYTHON.get(str(column.type), str)
    return types


def key_lengths(
    loader_sql: str, fields: dict[str, type], default: int
) -> dict[str, int]:
    """The maximum length of each ``str`` field: the length the loader SQL declares
    for its column (a cast to ``VARCHAR(n)``, ``CHAR(n)``...), else ``default``."""
    declared = declared_string_lengths(loader_sql, "loader_sql_snapshot")
    return {
        name: declared.get(name, default)
        for name, kind in fields.items()
        if kind is str
    }


def build_request_model(
    fields: dict[str, type], max_lengths: dict[str, int]
) -> type[BaseModel]:
    """A strict pydantic model: every field required, no extra keys, no coercion, and
    every ``str`` field no longer than its ``max_lengths`` entry (a ``string_too_long``
    error naming the field, and ``maxLength`` in the OpenAPI schema)."""
    definitions: dict[str, Any] = {
        name: (kind, Field(max_length=max_lengths[name]) if kind is str else ...)
        for name, kind in fields.items()
    }
    return create_model(
        "PredictionRequest",
        __config__=ConfigDict(extra="forbid", strict=True),
        **definitions,
    )
