"""The SQLAlchemy engine of a dataset's ``credentials: {con: <URL>}``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from kedro.io import DatasetError


class LazyEngine:
    """An engine for ``credentials["con"]``, created on first use: building a dataset
    never connects (some dialects, BigQuery's, build a client eagerly).

    Raises:
        DatasetError: ``credentials`` has no ``con``, naming ``owner``.
    """

    def __init__(
        self, credentials: dict[str, Any] | None, owner: str, **engine_args: Any
    ) -> None:
        if not credentials or not credentials.get("con"):
            raise DatasetError(
                f"{owner} needs credentials with a 'con' SQLAlchemy URL "
                "(set it in credentials.yml from an environment variable)"
            )
        self.url = sa.engine.make_url(credentials["con"])
        self._engine_args = engine_args
        self._engine: sa.Engine | None = None

    def get(self) -> sa.Engine:
        if self._engine is None:
            self._engine = sa.create_engine(self.url, **self._engine_args)
        return self._engine

    def shown(self) -> str:
        """The URL with its password hidden."""
        return self.url.render_as_string(hide_password=True)
