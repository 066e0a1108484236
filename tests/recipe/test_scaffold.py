"""``recipe.scaffold``: a new recipe for each task, valid as written, never written
over an existing one; every class of ``known_models.yml`` fits and predicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mmp_kedro.modeling.estimator import Labels, fit_model
from mmp_kedro.recipe import RecipeError, load_recipe
from mmp_kedro.recipe.scaffold import known_models, task_templates, write_new_recipe
from mmp_kedro.recipe.schema import TASK_METRICS


@pytest.mark.parametrize("task", sorted(TASK_METRICS))
def test_a_new_recipe_of_each_task_is_commented_and_valid(tmp_path: Path, task: str):
    written = write_new_recipe(tmp_path, f"my_{task}", task)

    recipe_file, sql_file = written
    assert recipe_file == tmp_path / "recipes" / f"my_{task}.yaml"
    assert sql_file == tmp_path / "recipes" / "sql" / "loaders" / f"my_{task}.sql"
    for path in written:
        comments = [
            ln for ln in path.read_text().splitlines() if ln.startswith(("#", "--"))
        ]
        assert len(comments) >= 3, path
    recipe = load_recipe(f"my_{task}", tmp_path / "recipes")
    assert recipe.spec.data_interface.task_type == task
    assert recipe.spec.model.class_path == task_templates()[task]["model"]
    assert recipe.spec.hyperparameter_tuning.enabled


def test_an_existing_recipe_is_never_written_over(tmp_path: Path):
    write_new_recipe(tmp_path, "mine", "regression")
    sql = tmp_path / "recipes" / "sql" / "loaders" / "mine.sql"
    sql.write_text("-- my own edits\n" + sql.read_text())
    (tmp_path / "recipes" / "mine.yaml").unlink()  # the SQL alone is enough to refuse

    with pytest.raises(RecipeError, match=r"recipes/sql/loaders/mine\.sql already"):
        write_new_recipe(tmp_path, "mine", "classification")
    assert sql.read_text().startswith("-- my own edits")
    assert not (tmp_path / "recipes" / "mine.yaml").exists()


def test_a_model_for_another_task_is_refused_and_nothing_written(tmp_path: Path):
    with pytest.raises(RecipeError, match="sklearn.cluster.KMeans"):
        write_new_recipe(tmp_path, "odd", "regression", "sklearn.cluster.KMeans")
    assert not (tmp_path / "recipes").exists()


def test_an_unlisted_class_starts_with_tuning_off(tmp_path: Path):
    write_new_recipe(
        tmp_path, "tree", "classification", "sklearn.tree.DecisionTreeClassifier"
    )
    recipe = load_recipe("tree", tmp_path / "recipes")
    assert recipe.spec.model.class_path == "sklearn.tree.DecisionTreeClassifier"
    assert not recipe.spec.hyperparameter_tuning.enabled
    assert "kedro mmp list models" in (tmp_path / "recipes" / "tree.yaml").read_text()


@pytest.mark.parametrize("name", ["../escape", "a/b", "", "-x", "name with space"])
def test_a_name_that_is_not_a_file_name_is_refused(tmp_path: Path, name: str):
    with pytest.raises(RecipeError, match="letters, digits"):
        write_new_recipe(tmp_path, name, "classification")
    assert not any(tmp_path.parent.glob("escape*"))


def test_every_task_has_a_template_and_a_known_default_model():
    templates = task_templates()
    assert set(templates) == set(TASK_METRICS)
    models = {m.class_path: m.task for m in known_models()}
    for task, template in templates.items():
        assert models[template["model"]] == task
        assert template["metric"] in TASK_METRICS[task]


@pytest.mark.parametrize("model", known_models(), ids=lambda m: m.class_path)
def test_every_known_model_fits_and_predicts_for_its_task(model):
    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    signal = features["a"] + 0.5 * rng.normal(size=200)
    labels = {
        "classification": Labels(target=(signal > 0).astype(int)),
        "regression": Labels(target=signal),
        "causal": Labels(
            target=(signal > 0).astype(int), treatment=rng.integers(0, 2, size=200)
        ),
        "clustering": Labels(),
    }[model.task]
    # The search space's lower end, so that the test stays quick.
    hyperparameters = {
        name: (value["low"] if isinstance(value, dict) and "low" in value else value)
        for name, value in model.hyperparameters.items()
    }
    trained = fit_model(model.class_path, hyperparameters, model.task, features, labels)

    predicted = trained.predict_frame(features)
    assert len(predicted) == 200
    assert predicted.notna().all().all()
    assert yaml.safe_dump(model.hyperparameters)  # plain YAML values only
