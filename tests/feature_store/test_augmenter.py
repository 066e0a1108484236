"""``check_features_exist`` before a training run: every namespace and feature a
recipe asks for is in the bound store's registry, and a LOCAL feature table that
lacks a column the feature view declares is named, file and column, before any join.
A pass-through augmenter, or an env whose ``feature_store`` is ``none``, reads no
registry."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from project_helpers import copy_project, prepare_local_data

from mmp_kedro.feature_store import (
    bind_feature_store,
    feature_store_factory,
    unbind_feature_store,
)
from mmp_kedro.feature_store.augmenter import check_features_exist
from mmp_kedro.recipe import RecipeError, ResolvedRecipe, load_recipe
from mmp_kedro.recipe.schema import AugmenterSpec

KNOWN_NAMESPACES = [
    "product_details",
    "session_summary",
    "user_demographics",
    "user_purchase_summary",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("augmenter") / "project")
    prepare_local_data(project, n_events=300)
    bind_feature_store(feature_store_factory(project, "local"))
    yield project
    unbind_feature_store()


@pytest.fixture
def rebind(project):
    """Bind another store for one test; the module's store is bound again after."""
    yield bind_feature_store
    bind_feature_store(feature_store_factory(project, "local"))


def example(project) -> ResolvedRecipe:
    return load_recipe("conversion_classifier", project / "recipes")


def with_augmenter(recipe: ResolvedRecipe, **augmenter) -> ResolvedRecipe:
    """``recipe`` with another ``augmenter`` section."""
    spec = recipe.spec.model_copy(update={"augmenter": AugmenterSpec(**augmenter)})
    return dataclasses.replace(recipe, spec=spec)


def with_features(recipe: ResolvedRecipe, *groups: tuple[str, list[str]]):
    return with_augmenter(
        recipe,
        type="feature_store",
        features=[
            {"feature_namespace": namespace, "features": features}
            for namespace, features in groups
        ],
    )


def never_built():
    pytest.fail("the feature store was built: its registry was read")


def test_the_example_recipe_passes(project):
    check_features_exist(example(project), "feast")


def test_an_unknown_namespace_is_named_with_the_known_ones(project):
    recipe = with_features(
        example(project),
        ("user_demographics", ["age"]),
        ("user_purchase_sumary", ["ltv"]),
    )
    with pytest.raises(RecipeError) as raised:
        check_features_exist(recipe, "feast")
    assert str(raised.value) == (
        "recipes/conversion_classifier.yaml: augmenter.features.1.feature_namespace "
        "'user_purchase_sumary' is not a feature view of this env's feature store; "
        f"known namespaces: {KNOWN_NAMESPACES}"
    )


def test_an_unknown_feature_is_named_with_its_namespace_features(project):
    recipe = with_features(
        example(project),
        ("product_details", ["price"]),
        ("user_demographics", ["age", "agee", "country"]),
    )
    with pytest.raises(RecipeError) as raised:
        check_features_exist(recipe, "feast")
    assert str(raised.value) == (
        "recipes/conversion_classifier.yaml: augmenter.features.1.features "
        "['agee', 'country'] are not in namespace 'user_demographics'; it has "
        "['age', 'country_code']"
    )


def test_a_pass_through_augmenter_reads_no_registry(project, rebind):
    rebind(never_built)
    check_features_exist(with_augmenter(example(project)), "feast")


@pytest.mark.parametrize("setting", ["none", "None", "NONE"])
def test_an_env_without_a_feature_store_reads_no_registry(project, rebind, setting):
    rebind(never_built)
    recipe = with_features(example(project), ("no_such_view", ["nothing"]))
    check_features_exist(recipe, setting)


def test_an_unreadable_registry_says_to_apply_the_definitions(
    project, rebind, tmp_path
):
    broken = copy_project(tmp_path)
    registry = broken / "data" / "feast" / "registry.db"
    registry.parent.mkdir(parents=True)
    registry.write_bytes(b"\xff\xfe not a registry")
    rebind(feature_store_factory(broken, "local"))
    with pytest.raises(RecipeError) as raised:
        check_features_exist(example(project), "feast")
    message = str(raised.value)
    assert message.startswith(
        "recipes/conversion_classifier.yaml: cannot read the feature store registry "
        "to check augmenter.features (DecodeError: "
    )
    assert message.endswith(
        "Apply the feature definitions first: "
        "`python -m mmp_kedro.feature_store apply --env <env>`"
    )


def test_a_registry_never_applied_says_to_apply_the_definitions(
    project, rebind, tmp_path
):
    rebind(feature_store_factory(copy_project(tmp_path), "local"))  # no registry.db
    with pytest.raises(RecipeError) as raised:
        check_features_exist(example(project), "feast")
    assert "registry has no feature views: apply the feature definitions first" in str(
        raised.value
    )
    assert "make data" in str(raised.value)


def test_a_feature_table_without_a_declared_column_is_named(project):
    table = project / "data" / "01_raw" / "user_purchase_summary.parquet"
    whole = table.read_bytes()
    pd.read_parquet(table).drop(columns=["ltv"]).to_parquet(table)
    recipe = load_recipe("conversion_classifier", project / "recipes")
    try:
        with pytest.raises(RecipeError) as raised:
            check_features_exist(recipe, "feast")
    finally:
        table.write_bytes(whole)
    message = str(raised.value)
    assert message.startswith(
        "recipes/conversion_classifier.yaml: augmenter.features.1"
    )
    assert f"the feature table {table} of namespace 'user_purchase_summary'" in message
    assert "has no column(s) ['ltv']" in message
