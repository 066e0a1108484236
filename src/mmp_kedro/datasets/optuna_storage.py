"""A catalog entry for where Optuna studies live.

LOCAL keeps studies in memory (no credentials); DEV/PROD point at an RDB so several
worker processes can join one study. The URL comes from ``credentials.yml`` and is
handed to Optuna only: it is not a parameter, so kedro-mlflow never logs it.
"""

from __future__ import annotations

from typing import Any

from kedro.io import AbstractDataset, DatasetError


class OptunaStorageDataset(AbstractDataset[None, "str | None"]):
    """``type: mmp_kedro.datasets.OptunaStorageDataset`` with ``credentials: {storage: <url>}``.

    ``load()`` returns the storage URL, or ``None`` for an in-memory study.
    """

    def __init__(
        self, credentials: dict[str, Any] | None = None, metadata: dict | None = None
    ):
        self._storage = (credentials or {}).get("storage")
        self.metadata = metadata

    def load(self) -> str | None:
        return self._storage

    def save(self, data: None) -> None:
        raise DatasetError("OptunaStorageDataset is read-only")

    def _exists(self) -> bool:
        # Configuration, not data: there is always something to load (Kedro warns
        # of a dataset without ``_exists`` on every run).
        return True

    def _describe(self) -> dict[str, Any]:
        # Never the URL: it holds a password.
        return {"in_memory": self._storage is None}
