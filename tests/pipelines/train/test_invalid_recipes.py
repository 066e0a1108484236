"""A malformed recipe stops ``kedro run --pipelines train`` before MLflow opens a run.

Each case writes one broken recipe into the shared LOCAL project copy and runs the
``train`` pipeline in-process through a real ``KedroSession`` (all hooks, including
kedro-mlflow's). The error must name the recipe file and the field; the namespace
and feature cases can only be caught by ``RecipeHook`` asking the Feast registry.
No MLflow run may be recorded for any of them, not even a FAILED one.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import mlflow
import pytest
import yaml
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from mlflow.tracking import _model_registry, _tracking_service, fluent
from project_helpers import all_run_ids

from mmp_kedro.feature_store import unbind_feature_store
from mmp_kedro.recipe import RecipeError

pytestmark = pytest.mark.e2e

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DROP = object()  # as a value: remove the key


def example(name: str) -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "recipes" / f"{name}.yaml").read_text())


BASES = {
    "classifier": example("conversion_classifier"),
    "uplift": example("uplift_model_exp3"),
    "regression": example("order_value_regression"),
}


class Case(NamedTuple):
    base: str
    field: str  # dotted path changed in the base recipe
    value: Any  # its new value, or DROP
    expected: tuple[str, ...]  # fragments of the error message


HP = "model.hyperparameters"

CASES: dict[str, Case] = {
    "unknown feature namespace": Case(
        "classifier",
        "augmenter.features.1.feature_namespace",
        "user_purchase_sumary",
        (
            "augmenter.features.1.feature_namespace 'user_purchase_sumary'",
            "is not a feature view",
            "known namespaces",
            "'user_purchase_summary'",
        ),
    ),
    "unknown feature in a known namespace": Case(
        "uplift",
        "augmenter.features.0.features",
        ["age", "agee"],
        (
            "augmenter.features.0.features ['agee']",
            "not in namespace 'user_demographics'",
        ),
    ),
    "class_path module does not exist": Case(
        "classifier",
        "model.class_path",
        "xgbooost.XGBClassifier",
        ("model.class_path 'xgbooost.XGBClassifier'", "not installed"),
    ),
    "class_path class misspelt": Case(
        "classifier",
        "model.class_path",
        "xgboost.XGBClasifier",
        ("model.class_path", "has no class 'XGBClasifier'", "'XGBClassifier'"),
    ),
    "class_path class has no fit or predict": Case(
        "classifier",
        "model.class_path",
        "collections.OrderedDict",
        ("model.class_path 'collections.OrderedDict'", "lacks ['fit', 'predict']"),
    ),
    "classification without target_col": Case(
        "classifier",
        "data_interface.target_col",
        DROP,
        ("data_interface", "needs 'target_col'"),
    ),
    "causal without treatment_value": Case(
        "uplift",
        "data_interface.treatment_value",
        DROP,
        ("data_interface", "needs 'treatment_value'"),
    ),
    "search range low above high": Case(
        "classifier",
        f"{HP}.n_estimators",
        {"type": "int", "low": 300, "high": 50},
        ("hyperparameters.n_estimators", "low (300) must be <= high (50)"),
    ),
    "log search range with low of zero": Case(
        "uplift",
        f"{HP}.learning_rate",
        {"type": "float", "low": 0.0, "high": 0.3, "log": True},
        ("hyperparameters.learning_rate", "a log range needs low > 0"),
    ),
    "categorical search range without choices": Case(
        "classifier",
        f"{HP}.max_depth",
        {"type": "categorical"},
        ("hyperparameters.max_depth", "non-empty 'choices'"),
    ),
    "tuning metric of another task": Case(
        "uplift",
        "hyperparameter_tuning.metric",
        "roc_auc",
        ("hyperparameter_tuning.metric 'roc_auc' is not a causal metric",),
    ),
    "tuning direction contradicts the metric": Case(
        "regression",
        "hyperparameter_tuning.direction",
        "maximize",
        ("hyperparameter_tuning.direction 'maximize' contradicts metric 'rmse'",),
    ),
    "tuning enabled without any search range": Case(
        "classifier",
        HP,
        {"n_estimators": 100, "max_depth": 3},
        ("hyperparameter_tuning.enabled is true", "no search range"),
    ),
    "search ranges with tuning disabled": Case(
        "classifier",
        "hyperparameter_tuning.enabled",
        False,
        ("model.hyperparameters has search ranges", "enabled is false"),
    ),
    "loader SQL file does not exist": Case(
        "classifier",
        "loader.source_uri",
        "recipes/sql/loaders/conversion_spin.sql",
        ("loader.source_uri 'recipes/sql/loaders/conversion_spin.sql' is not a file",),
    ),
    "target_col not returned by the loader SQL": Case(
        "classifier",
        "data_interface.target_col",
        "convertd",
        ("data_interface.target_col 'convertd' is not a column",),
    ),
    "misspelt top-level section": Case(
        "classifier",
        "hyperparameter_tunning",
        {"enabled": True},
        ("hyperparameter_tunning: unknown field",),
    ),
    "unknown preprocessor name": Case(
        "classifier",
        "preprocessor.name",
        "standard_scaler",
        ("preprocessor.name", "got 'standard_scaler'"),
    ),
    "same feature name in two namespaces": Case(
        "classifier",
        "augmenter.features.1.features",
        ["ltv", "age"],
        ("augmenter", "unique across namespaces", "['age']"),
    ),
}

#: Recipe names written for the cases, plus one that is never written.
RECIPE_NAMES = {case_id: "invalid_" + "_".join(case_id.split()) for case_id in CASES}
MISSING_RECIPE = "invalid_recipe_that_does_not_exist"


def broken(case: Case) -> dict[str, Any]:
    recipe = copy.deepcopy(BASES[case.base])
    *parents, leaf = (int(p) if p.isdigit() else p for p in case.field.split("."))
    node: Any = recipe
    for part in parents:
        node = node[part]
    if case.value is DROP:
        del node[leaf]
    else:
        node[leaf] = copy.deepcopy(case.value)
    return recipe


def error_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def train_error(
    project: Path, recipe: str, **params: Any
) -> tuple[str, list[BaseException]]:
    """Run ``train`` with ``recipe`` (and ``params``, as ``--params`` would pass them)
    in-process; return the error text and chain."""
    bootstrap_project(project)
    with pytest.raises(Exception) as raised:  # the cause is checked by the caller
        with KedroSession.create(
            project_path=project,
            env="local",
            runtime_params={"recipe": recipe, **params},
        ) as session:
            session.run(pipeline_names=["train"])
    chain = error_chain(raised.value)
    return "\n".join(str(e) for e in chain), chain


@pytest.fixture
def in_project(local_project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """cwd in the project; process-wide MLflow and feature-store state reset after."""
    monkeypatch.chdir(local_project)
    for module, name in (
        (_tracking_service.utils, "_tracking_uri"),
        (_model_registry.utils, "_registry_uri"),
        (fluent, "_active_experiment_id"),
    ):
        monkeypatch.setattr(module, name, getattr(module, name))
    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_EXPERIMENT_ID"):
        if var in os.environ:
            monkeypatch.setenv(var, os.environ[var])
        else:
            monkeypatch.delenv(var, raising=False)
    yield local_project
    unbind_feature_store()  # FeatureStoreHook bound the copy's store for the session


@pytest.mark.parametrize("case_id", list(CASES), ids=list(CASES))
def test_train_refuses_malformed_recipe(in_project, write_recipe, case_id):
    case = CASES[case_id]
    name = write_recipe(RECIPE_NAMES[case_id], broken(case))
    before = all_run_ids(in_project)
    try:
        message, chain = train_error(in_project, name)
    finally:
        (in_project / "recipes" / f"{name}.yaml").unlink()  # keep the copy clean
    assert any(isinstance(e, RecipeError) for e in chain), message
    assert f"recipes/{name}.yaml" in message, message
    for fragment in case.expected:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    assert mlflow.active_run() is None
    # Refused before kedro-mlflow opened a run: not even a FAILED one, tagged or not.
    assert all_run_ids(in_project) == before


def test_train_refuses_a_recipe_that_does_not_exist(in_project):
    before = all_run_ids(in_project)
    message, chain = train_error(in_project, MISSING_RECIPE)
    assert any(isinstance(e, RecipeError) for e in chain), message
    assert f"recipes/{MISSING_RECIPE}.yaml" in message
    assert "Available recipes: [" in message and "'conversion_classifier'" in message
    assert mlflow.active_run() is None
    assert all_run_ids(in_project) == before


def test_train_refuses_an_unknown_tuning_engine(in_project):
    """An env setting the tune pipeline does not implement fails before any run."""
    before = all_run_ids(in_project)
    message, _ = train_error(
        in_project, "conversion_classifier", tuning={"engine": "hyperopt"}
    )
    assert "tuning.engine 'hyperopt'" in message
    assert "['optuna']" in message
    assert all_run_ids(in_project) == before
