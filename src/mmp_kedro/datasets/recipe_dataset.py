"""A catalog entry for the run's recipe: ``recipes/<name>.yaml``, validated.

The name comes from the ``recipe`` runtime parameter (``kedro run --params
recipe=<name>``), so the catalog, and Kedro-Viz with it, shows where every node's
``recipe`` input comes from. The recipe is read and validated on the first load and
then frozen for the run: every node sees the same texts the run snapshots.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from mmp_kedro.recipe import RecipeError, ResolvedRecipe, load_recipe
from mmp_kedro.recipe.loader import find_recipe_file


class RecipeDataset(AbstractDataset[None, ResolvedRecipe]):
    """``type: mmp_kedro.datasets.RecipeDataset`` with ``name`` and ``path``.

    Args:
        name: the recipe's name (or a path relative to the project root); usually
            ``${runtime_params:recipe,null}``. None fails on load, saying how to
            pass one.
        path: the project's recipes folder (Kedro makes it absolute under the
            project); ``loader.source_uri`` is relative to the folder holding it.
        metadata: free-form metadata (ignored by Kedro).
    """

    def __init__(
        self, name: str | None, path: str, metadata: dict[str, Any] | None = None
    ):
        self._name = name
        self._recipes_dir = Path(path)
        self._loaded: ResolvedRecipe | None = None
        self.metadata = metadata

    def load(self) -> ResolvedRecipe:
        """The validated recipe.

        Raises:
            RecipeError: the recipe is missing or invalid, naming the file and field.
        """
        if self._loaded is None:
            self._loaded = load_recipe(self._name, self._recipes_dir)
        return self._loaded

    def save(self, data: ResolvedRecipe) -> None:
        raise DatasetError("RecipeDataset is read-only: edit recipes/<name>.yaml")

    def _exists(self) -> bool:
        try:
            find_recipe_file(self._name, self._recipes_dir)
        except RecipeError:
            return False
        return True

    def _describe(self) -> dict[str, Any]:
        return {"name": self._name, "path": str(self._recipes_dir)}
