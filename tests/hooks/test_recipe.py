"""``RecipeHook``: a training run's recipe, spine database and features are checked
before kedro-mlflow opens a run; a broken recipe raises its own error."""

from __future__ import annotations

import logging

import pytest
from kedro.pipeline import Node, Pipeline

from mmp_kedro.feature_store import bind_feature_store, feature_store_factory
from mmp_kedro.hooks import recipe as recipe_hook
from mmp_kedro.hooks.recipe import RecipeHook, load_validated_recipe
from mmp_kedro.recipe import RecipeError


def _use(recipe):
    return recipe


def _other(spine_loader):
    return spine_loader


NEEDS_RECIPE = Pipeline([Node(_use, "recipe", "out", name="use_recipe")])
NO_RECIPE = Pipeline([Node(_other, "spine_loader", "out", name="no_recipe")])


@pytest.fixture
def bound(kedro_context, local_project):
    """The hook asks the bound store's registry, as FeatureStoreHook binds it."""
    bind_feature_store(feature_store_factory(local_project, "local"))
    return kedro_context


def test_a_valid_recipe_passes_and_is_reported(bound, caplog):
    catalog = bound(recipe="conversion_classifier").catalog
    with caplog.at_level(logging.INFO, logger="mmp_kedro"):
        RecipeHook().before_pipeline_run(NEEDS_RECIPE, catalog)
    assert (
        "recipe 'conversion_classifier' is valid: xgboost.XGBClassifier, "
        "classification task, tuning on"
    ) in caplog.text
    # The catalog's recipe is the validated one, frozen for the run.
    assert catalog.load("recipe") is catalog.load("recipe")


def test_a_missing_recipe_raises_the_recipe_error_itself(bound):
    catalog = bound(recipe="no_such_recipe").catalog
    with pytest.raises(RecipeError, match=r"recipe 'no_such_recipe' not found"):
        RecipeHook().before_pipeline_run(NEEDS_RECIPE, catalog)


def test_no_recipe_given_says_how_to_pass_one(bound):
    catalog = bound().catalog
    with pytest.raises(RecipeError, match=r"--params recipe=<name>"):
        RecipeHook().before_pipeline_run(NEEDS_RECIPE, catalog)


def test_an_unknown_feature_is_refused_naming_the_field(
    bound, write_recipe, local_project
):
    recipe = {
        "model": {"class_path": "sklearn.linear_model.LogisticRegression"},
        "loader": {"source_uri": "recipes/sql/loaders/conversion_spine.sql"},
        "augmenter": {
            "type": "feature_store",
            "features": [
                {"feature_namespace": "user_demographics", "features": ["agee"]}
            ],
        },
        "data_interface": {"task_type": "classification", "target_col": "converted"},
    }
    name = write_recipe("hook_unknown_feature", recipe)
    try:
        with pytest.raises(RecipeError, match=r"features.0.features \['agee'\]"):
            RecipeHook().before_pipeline_run(NEEDS_RECIPE, bound(recipe=name).catalog)
    finally:
        (local_project / "recipes" / f"{name}.yaml").unlink()


def test_a_pipeline_without_a_recipe_is_left_alone(bound, monkeypatch, caplog):
    catalog = bound().catalog
    with pytest.raises(RecipeError):  # loading its recipe would fail: no name given
        load_validated_recipe(catalog)
    checks = []
    for name in (
        "load_validated_recipe",
        "check_catalog_services",
        "check_features_exist",
    ):
        monkeypatch.setattr(
            recipe_hook, name, lambda *args, _name=name: checks.append(_name)
        )
    with caplog.at_level(logging.INFO, logger="mmp_kedro"):
        RecipeHook().before_pipeline_run(NO_RECIPE, catalog)
    assert checks == []
    assert "is valid" not in caplog.text
