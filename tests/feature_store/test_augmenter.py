"""``check_features_exist`` before a training run: a LOCAL feature table that lacks
a column the feature view declares is named, file and column, before any join."""

from __future__ import annotations

import pandas as pd
import pytest
from project_helpers import copy_project, prepare_local_data

from mmp_kedro.feature_store import (
    bind_feature_store,
    feature_store_factory,
    unbind_feature_store,
)
from mmp_kedro.feature_store.augmenter import check_features_exist
from mmp_kedro.recipe import RecipeError, load_recipe


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("augmenter") / "project")
    prepare_local_data(project, n_events=300)
    bind_feature_store(feature_store_factory(project, "local"))
    yield project
    unbind_feature_store()


def test_the_example_recipe_passes(project):
    check_features_exist(
        load_recipe("conversion_classifier", project / "recipes"), None
    )


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
