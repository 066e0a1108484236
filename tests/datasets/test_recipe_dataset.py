"""``RecipeDataset``: the run's recipe, validated once and then frozen for the run."""

from __future__ import annotations

import pytest
from kedro.io import DatasetError
from project_helpers import PROJECT_ROOT

from mmp_kedro.datasets import RecipeDataset
from mmp_kedro.recipe import RecipeError, ResolvedRecipe

RECIPES = str(PROJECT_ROOT / "recipes")


def test_loads_the_named_recipe_validated_and_frozen():
    dataset = RecipeDataset(name="conversion_classifier", path=RECIPES)
    recipe = dataset.load()
    assert isinstance(recipe, ResolvedRecipe)
    assert recipe.name == "conversion_classifier"
    assert recipe.path == "recipes/conversion_classifier.yaml"
    assert "FROM events" in recipe.loader_sql
    assert dataset.load() is recipe  # read once: every node sees the same texts
    assert dataset.exists()


def test_an_unknown_name_is_a_recipe_error_with_the_known_ones():
    dataset = RecipeDataset(name="conversion_clasifier", path=RECIPES)
    assert not dataset.exists()
    with pytest.raises(DatasetError) as raised:
        dataset.load()
    assert isinstance(raised.value.__cause__, RecipeError)
    assert "Did you mean ['conversion_classifier']" in str(raised.value)


def test_no_name_says_how_to_pass_one():
    with pytest.raises(DatasetError, match=r"--params recipe=<name>"):
        RecipeDataset(name=None, path=RECIPES).load()


def test_is_read_only_and_describes_itself():
    dataset = RecipeDataset(name="uplift_model_exp3", path=RECIPES)
    with pytest.raises(DatasetError, match="read-only"):
        dataset.save(dataset.load())
    assert "uplift_model_exp3" in str(dataset)
