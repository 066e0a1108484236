"""Recipes: the schema of ``recipes/<name>.yaml`` and its validating loader."""

from mmp_kedro.recipe.loader import RecipeError, ResolvedRecipe, load_recipe
from mmp_kedro.recipe.schema import Recipe

__all__ = ["Recipe", "RecipeError", "ResolvedRecipe", "load_recipe"]
