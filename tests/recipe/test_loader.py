"""``load_recipe``: every malformed recipe fails with the file, the field and the fix.

Each malformed case starts from one of the project's example recipes and changes one
thing, so the error can only come from that change. The recipes are written into a
throw-away project (``recipes/`` plus the example loader SQL) built per test.
"""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from mmp_kedro.recipe import RecipeError, ResolvedRecipe, load_recipe

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_RECIPES = sorted(p.stem for p in (PROJECT_ROOT / "recipes").glob("*.yaml"))
LOADERS = "recipes/sql/loaders"
SELECT_STAR_SQL = f"{LOADERS}/select_star.sql"
# Loader SQL written into the throw-away project beside the examples, one flaw each.
FLAWED_SQL = {
    f"{LOADERS}/select_star.sql": (
        "SELECT * FROM events WHERE event_timestamp < CAST(:end_date AS TIMESTAMP)\n"
    ),
    f"{LOADERS}/user_id_twice.sql": (
        "SELECT e.user_id, s.user_id, e.session_id, e.event_timestamp, e.converted\n"
        "FROM events AS e JOIN sessions AS s ON s.session_id = e.session_id\n"
    ),
    f"{LOADERS}/prediction_column.sql": (
        "SELECT user_id, product_id, session_id, event_timestamp, converted,\n"
        "       score AS probability\n"
        "FROM events\n"
    ),
}
BROKEN = "broken_recipe"
BROKEN_FILE = f"recipes/{BROKEN}.yaml"

Mutation = Callable[[dict[str, Any]], None]


def example(name: str) -> dict[str, Any]:
    """A fresh, mutable copy of ``recipes/<name>.yaml``."""
    return yaml.safe_load((PROJECT_ROOT / "recipes" / f"{name}.yaml").read_text())


BASES = {
    "classifier": example("conversion_classifier"),
    "uplift": example("uplift_model_exp3"),
    "regression": example("order_value_regression"),
}


# -- one-change mutations --------------------------------------------------------------


def _parent(recipe: dict[str, Any], dotted: str) -> tuple[Any, str | int]:
    *parents, leaf = (int(p) if p.isdigit() else p for p in dotted.split("."))
    node: Any = recipe
    for part in parents:
        node = node[part]
    return node, leaf


def set_(dotted: str, value: Any) -> Mutation:
    """Set ``a.b.c`` (list indexes as digits) to ``value``."""

    def mutate(recipe: dict[str, Any]) -> None:
        node, leaf = _parent(recipe, dotted)
        node[leaf] = copy.deepcopy(value)

    return mutate


def drop(dotted: str) -> Mutation:
    """Remove ``a.b.c``."""

    def mutate(recipe: dict[str, Any]) -> None:
        node, leaf = _parent(recipe, dotted)
        del node[leaf]

    return mutate


def rename(dotted: str, new_key: str) -> Mutation:
    """Rename the key ``a.b.c`` to ``new_key`` (same section)."""

    def mutate(recipe: dict[str, Any]) -> None:
        node, leaf = _parent(recipe, dotted)
        node[new_key] = node.pop(leaf)

    return mutate


def append(dotted: str, value: Any) -> Mutation:
    """Append ``value`` to the list at ``a.b.c``."""

    def mutate(recipe: dict[str, Any]) -> None:
        node, leaf = _parent(recipe, dotted)
        node[leaf].append(value)

    return mutate


def both(*mutations: Mutation) -> Mutation:
    """Several edits that together make one logical change."""

    def mutate(recipe: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(recipe)

    return mutate


class Case(NamedTuple):
    base: str
    mutate: Mutation
    expected: tuple[str, ...]


HP = "model.hyperparameters"
FIXED_ONLY = {"n_estimators": 100, "max_depth": 3}

MALFORMED: dict[str, Case] = {
    # -- model.class_path --------------------------------------------------------------
    "class_path module does not exist": Case(
        "classifier",
        set_("model.class_path", "xgbooost.XGBClassifier"),
        (
            "model.class_path 'xgbooost.XGBClassifier'",
            "module 'xgbooost'",
            "not installed or does not exist",
        ),
    ),
    "class_path class misspelt suggests the close match": Case(
        "classifier",
        set_("model.class_path", "xgboost.XGBClasifier"),
        (
            "model.class_path 'xgboost.XGBClasifier'",
            "has no class 'XGBClasifier'",
            "did you mean",
            "'XGBClassifier'",
        ),
    ),
    "a clustering model in a classification recipe": Case(
        "classifier",
        both(
            set_("model.class_path", "sklearn.cluster.KMeans"),
            set_(HP, {"n_clusters": {"type": "int", "low": 2, "high": 5}}),
        ),
        (
            "model.class_path 'sklearn.cluster.KMeans' is a clusterer",
            "task_type is 'classification', which needs a classifier",
            "task_type 'clustering'",
        ),
    ),
    "a classifier in a regression recipe": Case(
        "regression",
        set_("model.class_path", "xgboost.XGBClassifier"),
        ("'xgboost.XGBClassifier' is a classifier", "needs a regressor"),
    ),
    "a probability metric for a classifier without predict_proba": Case(
        "classifier",
        both(
            set_("model.class_path", "sklearn.linear_model.RidgeClassifier"),
            set_(HP, {"alpha": {"type": "float", "low": 0.1, "high": 10.0}}),
        ),
        (
            "hyperparameter_tuning.metric 'roc_auc' is scored from predicted "
            "probabilities",
            "'sklearn.linear_model.RidgeClassifier' has no predict_proba()",
        ),
    ),
    "class_path class has no fit or predict": Case(
        "classifier",
        set_("model.class_path", "collections.OrderedDict"),
        (
            "model.class_path 'collections.OrderedDict'",
            "lacks ['fit', 'predict']",
            "needs fit() and predict()",
        ),
    ),
    "class_path is a function, not a class": Case(
        "classifier",
        set_("model.class_path", "os.path.join"),
        ("model.class_path 'os.path.join'", "is not a class"),
    ),
    "class_path without a module": Case(
        "classifier",
        set_("model.class_path", "XGBClassifier"),
        ("model.class_path", "should match pattern"),
    ),
    "hyperparameter unknown to a class without **kwargs": Case(
        "classifier",
        both(
            set_("model.class_path", "sklearn.ensemble.RandomForestClassifier"),
            set_(
                HP,
                {
                    "n_estimator": {"type": "int", "low": 50, "high": 300},
                    "max_depth": {"type": "int", "low": 2, "high": 6},
                },
            ),
        ),
        (
            "model.hyperparameters ['n_estimator']",
            "not parameters of sklearn.ensemble.RandomForestClassifier",
            "'n_estimators'",
        ),
    ),
    "class_path starting with a dot": Case(
        "classifier",
        set_("model.class_path", ".xgboost.XGBClassifier"),
        ("model.class_path", "should match pattern"),
    ),
    # -- model.hyperparameters search ranges -------------------------------------------
    "search range with a step of zero": Case(
        "regression",
        set_(f"{HP}.n_estimators", {"type": "int", "low": 50, "high": 300, "step": 0}),
        ("hyperparameters.n_estimators", "step must be > 0, got step=0"),
    ),
    "int search range with a fractional step": Case(
        "classifier",
        set_(f"{HP}.max_depth", {"type": "int", "low": 2, "high": 6, "step": 1.5}),
        (
            "hyperparameters.max_depth",
            "an int range needs a whole-number step, got 1.5",
        ),
    ),
    "search range low above high": Case(
        "classifier",
        set_(f"{HP}.n_estimators", {"type": "int", "low": 300, "high": 50}),
        ("hyperparameters.n_estimators", "low (300) must be <= high (50)"),
    ),
    "log search range with low of zero": Case(
        "classifier",
        set_(
            f"{HP}.learning_rate", {"type": "float", "low": 0, "high": 0.3, "log": True}
        ),
        ("hyperparameters.learning_rate", "a log range needs low > 0", "low=0"),
    ),
    "int search range with fractional bounds": Case(
        "classifier",
        set_(f"{HP}.max_depth", {"type": "int", "low": 2.5, "high": 6}),
        ("hyperparameters.max_depth", "an int range needs whole-number low and high"),
    ),
    "categorical search range without choices": Case(
        "classifier",
        set_(f"{HP}.max_depth", {"type": "categorical"}),
        ("hyperparameters.max_depth", "needs a non-empty 'choices' list"),
    ),
    "search range of an unknown type": Case(
        "classifier",
        set_(f"{HP}.max_depth", {"type": "integer", "low": 2, "high": 6}),
        ("hyperparameters.max_depth", "'int', 'float' or 'categorical'"),
    ),
    # -- hyperparameter_tuning ---------------------------------------------------------
    "tuning metric of another task (roc_auc on causal)": Case(
        "uplift",
        set_("hyperparameter_tuning.metric", "roc_auc"),
        (
            "hyperparameter_tuning.metric 'roc_auc' is not a causal metric",
            "expected one of ['auuc', 'qini']",
        ),
    ),
    "tuning metric spelt as the sklearn function": Case(
        "classifier",
        set_("hyperparameter_tuning.metric", "accuracy_score"),
        (
            "hyperparameter_tuning.metric 'accuracy_score' is not a classification",
            "'accuracy'",
        ),
    ),
    "tuning direction contradicts the metric (rmse maximized)": Case(
        "regression",
        set_("hyperparameter_tuning.direction", "maximize"),
        (
            "hyperparameter_tuning.direction 'maximize' contradicts metric 'rmse'",
            "use direction: minimize",
        ),
    ),
    "tuning enabled without any search range": Case(
        "classifier",
        set_(HP, FIXED_ONLY),
        (
            "hyperparameter_tuning.enabled is true",
            "model.hyperparameters has no search range",
        ),
    ),
    "search ranges with tuning disabled": Case(
        "classifier",
        set_("hyperparameter_tuning.enabled", False),
        (
            "model.hyperparameters has search ranges",
            "['learning_rate', 'max_depth', 'n_estimators', 'subsample']",
            "hyperparameter_tuning.enabled is false",
        ),
    ),
    "tuning with zero trials": Case(
        "classifier",
        set_("hyperparameter_tuning.n_trials", 0),
        ("hyperparameter_tuning.n_trials", "greater than or equal to 1"),
    ),
    # -- loader ------------------------------------------------------------------------
    "loader SQL file does not exist": Case(
        "classifier",
        set_("loader.source_uri", f"{LOADERS}/conversion_spin.sql"),
        (
            "loader.source_uri 'recipes/sql/loaders/conversion_spin.sql' is not a file",
            "expected a SQL file relative to the project root",
        ),
    ),
    "loader SQL selects star": Case(
        "classifier",
        set_("loader.source_uri", SELECT_STAR_SQL),
        ("loader.source_uri", SELECT_STAR_SQL, "'SELECT *' hides the spine's columns"),
    ),
    "loader SQL selects one column name twice": Case(
        "classifier",
        set_("loader.source_uri", f"{LOADERS}/user_id_twice.sql"),
        (
            f"loader.source_uri: {LOADERS}/user_id_twice.sql",
            "['user_id'] are selected more than once",
            "alias all but one",
        ),
    ),
    "loader SQL column named like a prediction": Case(
        "classifier",
        set_("loader.source_uri", f"{LOADERS}/prediction_column.sql"),
        (
            f"{LOADERS}/prediction_column.sql has the column(s) ['probability']",
            "classification model writes its predictions ['prediction', 'probability']",
            "alias them in the SQL",
        ),
    ),
    "feature named like a prediction": Case(
        "uplift",
        append("augmenter.features.0.features", "uplift_score"),
        (
            "augmenter.features has the column(s) ['uplift_score']",
            "causal model writes its predictions ['uplift_score']",
        ),
    ),
    "feature named like a spine column": Case(
        "classifier",
        append("augmenter.features.0.features", "converted"),
        (
            "augmenter.features ['converted'] are also columns of "
            "recipes/sql/loaders/conversion_spine.sql",
            "which the features would replace",
        ),
    ),
    # -- preprocessor ------------------------------------------------------------------
    "exclude_cols naming no column": Case(
        "uplift",
        set_("preprocessor.params.exclude_cols", ["user_id", "sesion_id"]),
        (
            "preprocessor.params.exclude_cols[1] 'sesion_id' is neither a column of "
            "recipes/sql/loaders/user_session_spine.sql nor a feature",
            "did you mean ['session_id'",
        ),
    ),
    "criterion_col naming no column": Case(
        "classifier",
        set_("preprocessor.params.criterion_col", "clicks"),
        ("preprocessor.params.criterion_col 'clicks' is neither a column",),
    ),
    "loader section missing": Case(
        "classifier",
        drop("loader"),
        ("loader: required field is missing",),
    ),
    # -- data_interface ----------------------------------------------------------------
    "classification without target_col": Case(
        "classifier",
        drop("data_interface.target_col"),
        ("data_interface", "task_type 'classification' needs 'target_col'"),
    ),
    "causal without treatment_col": Case(
        "uplift",
        drop("data_interface.treatment_col"),
        ("data_interface", "task_type 'causal' needs 'treatment_col'"),
    ),
    "causal without treatment_value": Case(
        "uplift",
        drop("data_interface.treatment_value"),
        ("data_interface", "task_type 'causal' needs 'treatment_value'"),
    ),
    "treatment_col on a classification task": Case(
        "classifier",
        set_("data_interface.treatment_col", "grp"),
        ("data_interface", "only apply to task_type 'causal', not 'classification'"),
    ),
    "unknown task_type": Case(
        "classifier",
        set_("data_interface.task_type", "uplift"),
        ("data_interface.task_type", "got 'uplift'"),
    ),
    "target_col not returned by the loader SQL": Case(
        "classifier",
        set_("data_interface.target_col", "convertd"),
        (
            "data_interface.target_col 'convertd' is not a column of "
            "recipes/sql/loaders/conversion_spine.sql",
            "'converted'",
        ),
    ),
    "validation.group_col not returned by the loader SQL": Case(
        "uplift",
        set_("validation", {"split": "group", "group_col": "customer"}),
        (
            "validation.group_col 'customer' is not a column of "
            "recipes/sql/loaders/user_session_spine.sql",
            "'user_id'",
        ),
    ),
    "calibration on an uplift task": Case(
        "uplift",
        set_("validation", {"calibration": {"method": "isotonic"}}),
        ("validation.calibration.method 'isotonic' calibrates class probabilities",),
    ),
    "unknown validation split": Case(
        "classifier",
        set_("validation", {"split": "by_month"}),
        ("validation.split", "got 'by_month'"),
    ),
    "treatment_col not returned by the loader SQL": Case(
        "uplift",
        set_("data_interface.treatment_col", "group"),
        (
            "data_interface.treatment_col 'group' is not a column of "
            "recipes/sql/loaders/user_session_spine.sql",
            "'grp'",
        ),
    ),
    # -- unknown fields ----------------------------------------------------------------
    "misspelt top-level section": Case(
        "classifier",
        rename("hyperparameter_tuning", "hyperparameter_tunning"),
        ("hyperparameter_tunning: unknown field",),
    ),
    "misspelt field inside a section": Case(
        "classifier",
        rename("data_interface.target_col", "target_column"),
        ("data_interface.target_column: unknown field",),
    ),
    "unknown preprocessor name": Case(
        "classifier",
        set_("preprocessor.name", "standard_scaler"),
        ("preprocessor.name", "'simple_scaler'", "got 'standard_scaler'"),
    ),
    # -- augmenter ---------------------------------------------------------------------
    "feature_store augmenter without features": Case(
        "classifier",
        set_("augmenter.features", []),
        ("augmenter", "type 'feature_store' needs a non-empty 'features' list"),
    ),
    "feature namespace with an empty feature list": Case(
        "classifier",
        set_("augmenter.features.1.features", []),
        ("augmenter.features.1.features", "at least 1 item"),
    ),
    "same feature name in two namespaces": Case(
        "classifier",
        append("augmenter.features.1.features", "age"),
        ("augmenter", "feature names must be unique across namespaces", "['age']"),
    ),
    "pass_through augmenter with features": Case(
        "classifier",
        set_("augmenter.type", "pass_through"),
        ("augmenter", "type 'pass_through' takes no 'features'"),
    ),
}


# -- the throw-away project ------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """``recipes/`` with the example loader SQL and the flawed ones."""
    shutil.copytree(PROJECT_ROOT / LOADERS, tmp_path / LOADERS)
    for path, sql in FLAWED_SQL.items():
        (tmp_path / path).write_text(sql)
    return tmp_path


def write(project: Path, name: str, recipe: dict[str, Any] | str) -> Path:
    path = project / "recipes" / f"{name}.yaml"
    path.write_text(recipe if isinstance(recipe, str) else yaml.safe_dump(recipe))
    return path


def malformed(case: Case) -> dict[str, Any]:
    recipe = copy.deepcopy(BASES[case.base])
    case.mutate(recipe)
    return recipe


def load_error(project: Path, name: str = BROKEN) -> str:
    with pytest.raises(RecipeError) as raised:
        load_recipe(name, project / "recipes")
    return str(raised.value)


# -- valid recipes ---------------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLE_RECIPES)
def test_every_example_recipe_loads_from_the_project(name):
    recipe = load_recipe(name, PROJECT_ROOT / "recipes")
    assert isinstance(recipe, ResolvedRecipe)
    assert recipe.name == name
    assert recipe.path == f"recipes/{name}.yaml"
    assert "event_timestamp" in recipe.spine_columns
    sql_file = PROJECT_ROOT / recipe.spec.loader.source_uri
    assert recipe.loader_sql == sql_file.read_text()


@pytest.mark.parametrize("base", sorted(BASES))
def test_unchanged_bases_load_in_the_test_project(project, base):
    """The malformed cases below differ from these by exactly one change."""
    write(project, base, BASES[base])
    assert load_recipe(base, project / "recipes").spec.model.class_path


def test_blueprint_preprocessor_form_is_accepted(project):
    recipe = copy.deepcopy(BASES["classifier"])
    exclude = ["user_id", "product_id", "session_id", "event_timestamp"]
    recipe["preprocessor"] = {
        "name": "simple_scaler",
        "params": {"criterion_col": None, "exclude_cols": exclude},
    }
    write(project, "blueprint_preprocessor", recipe)
    params = load_recipe(
        "blueprint_preprocessor", project / "recipes"
    ).spec.preprocessor.params
    assert params.criterion_col is None
    assert params.exclude_cols == exclude


def test_recipe_can_be_named_by_its_path(project):
    write(project, "by_path", BASES["uplift"])
    assert load_recipe("recipes/by_path.yaml", project / "recipes").name == "by_path"


# -- malformed recipes -----------------------------------------------------------------


@pytest.mark.parametrize("case", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_recipe_names_file_and_field(project, case):
    write(project, BROKEN, malformed(case))
    message = load_error(project)
    assert BROKEN_FILE in message, message
    for fragment in case.expected:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


RANGE_CASES = [
    "search range low above high",
    "log search range with low of zero",
    "int search range with fractional bounds",
    "categorical search range without choices",
]


@pytest.mark.parametrize("case_id", RANGE_CASES)
def test_search_range_error_names_the_full_field_path(project, case_id):
    case = MALFORMED[case_id]
    write(project, BROKEN, malformed(case))
    field = case.expected[0]  # "hyperparameters.<name>"
    assert f"model.{field}" in load_error(project)


def test_int_search_range_with_infinite_bound(project):
    recipe = copy.deepcopy(BASES["classifier"])
    recipe["model"]["hyperparameters"]["n_estimators"] = {
        "type": "int",
        "low": 50,
        "high": float("inf"),
    }
    write(project, BROKEN, recipe)
    message = load_error(project)
    assert BROKEN_FILE in message and "hyperparameters.n_estimators" in message


def test_unknown_tuning_metric_is_refused_even_with_tuning_disabled(project):
    recipe = copy.deepcopy(BASES["regression"])
    recipe["hyperparameter_tuning"] = {"enabled": False, "metric": "roc_auc"}
    recipe["model"]["hyperparameters"] = {"n_estimators": 100, "verbose": -1}
    write(project, BROKEN, recipe)
    message = load_error(project)
    assert "hyperparameter_tuning.metric 'roc_auc'" in message


def test_unknown_recipe_name_lists_the_available_recipes(project):
    for base, recipe in BASES.items():
        write(project, base, recipe)
    message = load_error(project, "classifer")
    assert "recipe 'classifer' not found" in message
    assert "recipes/classifer.yaml" in message
    assert "Available recipes: ['classifier', 'regression', 'uplift']" in message
    assert "Did you mean ['classifier']" in message


def test_missing_recipe_outside_the_project_is_named_as_given(project, tmp_path):
    outside = tmp_path.parent / "elsewhere" / "recipe.yaml"
    message = load_error(project, str(outside))
    assert f"recipe '{outside}' not found (looked for {outside})" in message


def test_no_recipe_given_says_how_to_pass_one(project):
    write(project, "uplift", BASES["uplift"])
    with pytest.raises(RecipeError, match=r"--params recipe=<name>.*\['uplift'\]"):
        load_recipe(None, project / "recipes")


def test_yaml_syntax_error_names_the_file_and_line(project):
    write(project, BROKEN, "model:\n  class_path: [xgboost.XGBClassifier\nloader: {}\n")
    message = load_error(project)
    assert f"{BROKEN_FILE}: not valid YAML" in message
    assert "line " in message


@pytest.mark.parametrize(
    "text", ["", "- model\n- loader\n"], ids=["empty file", "top-level list"]
)
def test_recipe_that_is_not_a_mapping(project, text):
    write(project, BROKEN, text)
    message = load_error(project)
    assert f"{BROKEN_FILE}: expected a mapping of recipe sections" in message


def test_every_problem_of_a_recipe_is_listed_at_once(project):
    """Schema problems in different sections are reported together, each by path."""
    recipe = malformed(MALFORMED["unknown preprocessor name"])
    recipe["hyperparameter_tunning"] = recipe.pop("hyperparameter_tuning")
    write(project, BROKEN, recipe)
    message = load_error(project)
    assert "invalid recipe (2 problem(s))" in message
    assert "  - hyperparameter_tunning: unknown field" in message
    assert "  - preprocessor.name: " in message


# -- confinement: recipes and loader SQL come from recipes/ only ----------------------


@pytest.mark.parametrize("relative", [True, False], ids=["../ path", "absolute path"])
def test_a_recipe_outside_recipes_is_refused_naming_the_folder(
    project, tmp_path_factory, relative
):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "evil.yaml"
    elsewhere.write_text(yaml.safe_dump(BASES["uplift"]))
    name = os.path.relpath(elsewhere, project) if relative else str(elsewhere)
    message = load_error(project, name)
    assert f"recipe '{name}' is {elsewhere.resolve()}" in message
    assert (
        f"outside the project's recipes folder {(project / 'recipes').resolve()}"
        in (message)
    )


def test_a_recipe_linked_from_outside_is_refused(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "linked.yaml"
    elsewhere.write_text(yaml.safe_dump(BASES["uplift"]))
    (project / "recipes" / "linked.yaml").symlink_to(elsewhere)
    assert "outside the project's recipes folder" in load_error(project, "linked")


@pytest.mark.parametrize(
    "source_uri", [".env", "recipes/../.env"], ids=["project root", "../ in recipes"]
)
def test_a_loader_outside_recipes_is_refused_without_its_content(project, source_uri):
    (project / ".env").write_text("POSTGRES_PASSWORD=s3cret-value\nREDIS_PORT=1\n")
    recipe = copy.deepcopy(BASES["uplift"])
    recipe["loader"]["source_uri"] = source_uri
    write(project, BROKEN, recipe)
    message = load_error(project)
    assert f"loader.source_uri '{source_uri}' is {(project / '.env').resolve()}" in (
        message
    )
    assert "outside the project's recipes folder" in message
    assert "s3cret" not in message and "POSTGRES_PASSWORD" not in message


def test_a_loader_that_is_not_a_sql_file_is_refused(project):
    env_like = project / "recipes" / "sql" / "settings.env"
    env_like.write_text("POSTGRES_PASSWORD=s3cret-value\n")
    recipe = copy.deepcopy(BASES["uplift"])
    recipe["loader"]["source_uri"] = "recipes/sql/settings.env"
    write(project, BROKEN, recipe)
    message = load_error(project)
    assert "loader.source_uri 'recipes/sql/settings.env' is not a .sql file" in message
    assert "s3cret" not in message


def test_a_sql_file_that_does_not_parse_is_quoted_short_and_redacted(project):
    bad = project / LOADERS / "not_sql.sql"
    bad.write_text("-- copied by mistake\nDB_PASSWORD=s3cret-value-that-is-long\nx=1\n")
    recipe = copy.deepcopy(BASES["uplift"])
    recipe["loader"]["source_uri"] = f"{LOADERS}/not_sql.sql"
    write(project, BROKEN, recipe)
    message = load_error(project)
    assert f"{LOADERS}/not_sql.sql: SQL does not parse: line " in message
    assert "s3cret" not in message
    quoted = message.split("(near ", 1)[1] if "(near " in message else ""
    assert len(quoted) <= 30, message


def test_control_value_applies_to_uplift_only(project):
    recipe = copy.deepcopy(BASES["classifier"])
    recipe["data_interface"]["control_value"] = "control"
    write(project, BROKEN, recipe)
    assert "treatment_col/treatment_value/control_value only apply to task_type" in (
        load_error(project)
    )


def test_control_value_must_differ_from_the_treatment_value(project):
    recipe = copy.deepcopy(BASES["uplift"])
    recipe["data_interface"]["control_value"] = [
        "control",
        recipe["data_interface"]["treatment_value"],
    ]
    write(project, BROKEN, recipe)
    assert "control_value must differ from treatment_value" in load_error(project)


def test_named_control_values_and_allowed_duplicates_load(project):
    recipe = copy.deepcopy(BASES["uplift"])
    recipe["data_interface"]["control_value"] = ["control", "placebo"]
    recipe["loader"]["allow_duplicate_rows"] = True
    write(project, "with_controls", recipe)
    spec = load_recipe("with_controls", project / "recipes").spec
    assert spec.data_interface.control_values == ["control", "placebo"]
    assert spec.loader.allow_duplicate_rows is True


def test_a_recipe_name_too_long_for_the_file_system_says_so(project):
    with pytest.raises(RecipeError) as raised:
        load_recipe("r" * 300, project / "recipes")
    message = str(raised.value)
    assert "is 300 characters long" in message
    assert "at most 255 bytes" in message
