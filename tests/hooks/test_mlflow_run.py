"""``MlflowRunHook``: the training run's name, tags and recipe params, and the
artifact's signature (label columns optional, the predict-time params)."""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest

from mmp_kedro.hooks.mlflow_run import MlflowRunHook
from mmp_kedro.pipelines.train import create_pipeline

RECIPE = "conversion_classifier"


@pytest.fixture
def catalog(kedro_context):
    return kedro_context(recipe=RECIPE).catalog


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
    catalog["spine"] = pd.DataFrame(
        {
            "user_id": ["u1", "u2"],
            "product_id": ["p1", "p2"],
            "session_id": ["s1", "s2"],
            "event_timestamp": pd.to_datetime(["2025-03-01", "2025-03-02"]),
            "converted": [0, 1],
        }
    )
    catalog["hyperparameter_optimization"] = {"enabled": True, "best_score": 0.75}
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


def test_without_an_active_run_nothing_is_touched(catalog, tracking_store):
    pipeline = create_pipeline()
    MlflowRunHook().after_pipeline_run(pipeline, catalog)
    assert pipeline.log_model_kwargs["signature"] == "auto"
