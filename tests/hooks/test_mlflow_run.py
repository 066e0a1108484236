"""``MlflowRunHook``: the training run's name, tags and recipe params, and the
artifact's signature (label columns optional, the default output's columns, the
predict-time params)."""

from __future__ import annotations

import logging

import mlflow
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from mmp_kedro.hooks.mlflow_run import MlflowRunHook
from mmp_kedro.modeling.estimator import TrainedModel
from mmp_kedro.modeling.preprocessing import SimpleScaler
from mmp_kedro.pipelines.train import create_pipeline

RECIPE = "conversion_classifier"
KEYS = ["user_id", "product_id", "session_id"]


@pytest.fixture
def catalog(kedro_context):
    return kedro_context(recipe=RECIPE).catalog


def _ended_training(catalog) -> None:
    """What a training run of the recipe leaves in its catalog: its spine, the
    augmented spine and the fitted preprocessor and model, and its tuning result."""
    spine = pd.DataFrame(
        {
            "user_id": ["u1", "u2"],
            "product_id": ["p1", "p2"],
            "session_id": ["s1", "s2"],
            "event_timestamp": pd.to_datetime(["2025-03-01", "2025-03-02"]),
            "converted": [0, 1],
        }
    )
    augmented = spine.assign(sessions=[1.0, 4.0])
    features = augmented.drop(columns="converted")
    preprocessor = SimpleScaler(exclude_cols=KEYS).fit(features)
    X = preprocessor.transform(features)  # noqa: N806
    catalog["spine"] = spine
    catalog["augmented"] = augmented
    catalog["preprocessor"] = preprocessor
    catalog["model"] = TrainedModel(
        estimator=LogisticRegression().fit(X, spine["converted"]),
        task_type="classification",
        class_path="sklearn.linear_model.LogisticRegression",
        hyperparameters={},
        feature_names=list(X.columns),
    )
    catalog["hyperparameter_optimization"] = {"enabled": True, "best_score": 0.75}


def test_the_run_is_named_tagged_and_given_the_recipe_params(catalog, tracking_store):
    with mlflow.start_run() as run:
        MlflowRunHook().before_pipeline_run(create_pipeline(), catalog)
    data = tracking_store.get_run(run.info.run_id).data
    assert data.tags["mlflow.runName"].startswith(f"XGBClassifier_{RECIPE}_")
    assert data.tags["recipe"] == RECIPE
    assert data.tags["task_type"] == "classification"
    assert data.params["recipe.model.class_path"] == "xgboost.XGBClassifier"
    assert data.params["recipe.hyperparameter_tuning.metric"] == "roc_auc"
    # The typed training parameters, flattened as kedro-mlflow flattens a dict.
    assert data.params["training.test_ratio"] == "0.25"
    assert data.params["tuning.engine"] == "optuna"
    assert data.params["tuning.pruning.n_startup_trials"] == "2"


def test_after_the_run_the_score_is_in_the_name_and_the_signature_is_set(
    catalog, tracking_store
):
    pipeline = create_pipeline()
    _ended_training(catalog)
    hook = MlflowRunHook()
    with mlflow.start_run() as run:
        hook.before_pipeline_run(pipeline, catalog)
        hook.after_pipeline_run(pipeline, catalog)
    name = tracking_store.get_run(run.info.run_id).data.tags["mlflow.runName"]
    assert name.endswith("_optuna_best_score_0.7500")

    signature = pipeline.log_model_kwargs["signature"]
    required = {c.name: c.required for c in signature.inputs.inputs}
    assert required == {
        "user_id": True,
        "product_id": True,
        "session_id": True,
        "event_timestamp": True,
        "converted": False,  # the target: optional at predict time
    }
    assert {p.name: p.default for p in signature.params.params} == {
        "return_intermediate": False,
        "run_mode": "batch",
        "runner": "InferenceRunner",
    }
    # The default output: the spine as sent, then the task's predictions; the
    # features return_intermediate adds (sessions) are not described.
    outputs = signature.outputs.to_dict()
    assert [(c["name"], c["type"], c["required"]) for c in outputs] == [
        ("user_id", "string", True),
        ("product_id", "string", True),
        ("session_id", "string", True),
        ("event_timestamp", "any", True),
        ("converted", "long", False),
        ("prediction", "long", True),
        ("probability", "double", True),
    ]


def test_a_failing_inference_leaves_the_signature_without_outputs(
    catalog, tracking_store, caplog
):
    pipeline = create_pipeline()
    _ended_training(catalog)
    catalog["model"] = "not a fitted model"
    hook = MlflowRunHook()
    with mlflow.start_run(), caplog.at_level(logging.WARNING):
        hook.before_pipeline_run(pipeline, catalog)
        hook.after_pipeline_run(pipeline, catalog)
    signature = pipeline.log_model_kwargs["signature"]
    assert signature.outputs is None
    assert [c.name for c in signature.inputs.inputs][-1] == "converted"
    assert "signature has no output schema" in caplog.text
    assert "AttributeError" in caplog.text


def test_without_an_active_run_nothing_is_touched(catalog, tracking_store):
    pipeline = create_pipeline()
    MlflowRunHook().after_pipeline_run(pipeline, catalog)
    assert pipeline.log_model_kwargs["signature"] == "auto"
