"""``artifact.logged_model``: what the artifact's requirements.txt pins and what the
pyfunc model is logged with.

The end-to-end check (a model loaded in a fresh process imports nothing its
requirements would not install) is in ``tests/pipelines/train/test_train_e2e.py``.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline
from kedro_datasets.pickle import PickleDataset
from kedro_mlflow.mlflow import KedroPipelineModel
from packaging.requirements import Requirement
from sklearn.cluster import KMeans
from sklearn.linear_model import LinearRegression, LogisticRegression

from mmp_kedro.artifact.contract import MODEL_ARTIFACT_PATH
from mmp_kedro.artifact.logged_model import (
    RUNNER_PARAM,
    build_signature,
    code_paths,
    default_output,
    log_model_kwargs,
    pip_requirements,
    pipeline_model_kwargs,
)
from mmp_kedro.modeling.estimator import TrainedModel
from mmp_kedro.modeling.preprocessing import SimpleScaler
from mmp_kedro.pipelines import predict
from mmp_kedro.pipelines.train import create_pipeline
from mmp_kedro.recipe.schema import PREDICTION_COLUMNS
from mmp_kedro.runtime.inference_runner import InferenceRunner


def test_requirements_are_pinned_with_the_projects_extras() -> None:
    requirements = {
        Requirement(line).name: Requirement(line) for line in pip_requirements()
    }
    feast = requirements["feast"]
    # The stores of every env are optional dependencies of Feast.
    assert {"redis", "postgres", "duckdb", "gcp"} <= feast.extras
    assert str(feast.specifier) == f"=={version('feast')}"
    assert all(str(r.specifier).startswith("==") for r in requirements.values())


def test_training_only_libraries_are_not_required() -> None:
    """Inference never imports the search (Optuna) or the plots (matplotlib)."""
    names = {Requirement(line).name for line in pip_requirements()}
    assert not names & {"optuna", "matplotlib", "kedro-viz"}


def test_the_artifact_ships_the_package_without_the_sample_data_generator() -> None:
    (package,) = (Path(path) for path in code_paths())
    assert package.name == "mmp_kedro" and (package / "settings.py").is_file()
    shipped = {path.stem for path in package.rglob("*.py")}
    assert "sample_data" not in shipped


def test_the_runner_param_defaults_to_the_artifact_runner() -> None:
    assert RUNNER_PARAM == {"runner": "InferenceRunner"}
    kwargs = pipeline_model_kwargs()
    assert isinstance(kwargs["runner"], InferenceRunner)
    assert log_model_kwargs()["name"] == MODEL_ARTIFACT_PATH


#: The label columns of each task's spine below, and the MLflow types of its
#: prediction columns with these models.
LABELS = {
    "classification": ["converted"],
    "regression": ["order_value"],
    "clustering": [],
    "causal": ["converted", "group"],
}
PREDICTION_TYPES = {
    "classification": {"prediction": "long", "probability": "double"},
    "regression": {"prediction": "double"},
    "clustering": {"cluster": "long"},
    "causal": {"uplift_score": "double"},
}
PARAMS = {"return_intermediate": False, "run_mode": "batch"}
ROWS = 40


def _spine(task: str) -> pd.DataFrame:
    """A training spine of ``task``: an entity key, the timestamp and the labels."""
    index = np.arange(ROWS)
    labels = {
        "converted": index % 2,
        "order_value": index * 1.5,
        "group": np.where(index % 3 == 0, "control", "treated"),
    }
    return pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in index],
            "event_timestamp": pd.date_range("2025-03-01", periods=ROWS, freq="h"),
            **{name: labels[name] for name in LABELS[task]},
        }
    )


def _features(spine: pd.DataFrame) -> pd.DataFrame:
    """The spine with its joined features, as ``augment_features`` returns it."""
    return spine.assign(
        sessions=np.arange(len(spine)) % 7, spend=np.linspace(0, 5, len(spine))
    )


def _fitted(task: str, augmented: pd.DataFrame) -> tuple[SimpleScaler, TrainedModel]:
    """A preprocessor and a model of ``task`` fitted on ``augmented``, as training
    fits them (causal: a regressor standing in for causalml, which is slow to import;
    the task's code only calls its ``predict``)."""
    features = augmented.drop(columns=LABELS[task])
    preprocessor = SimpleScaler(exclude_cols=["user_id"]).fit(features)
    X = preprocessor.transform(features)  # noqa: N806
    estimators = {
        "classification": lambda: LogisticRegression().fit(X, augmented["converted"]),
        "regression": lambda: LinearRegression().fit(X, augmented["order_value"]),
        "clustering": lambda: KMeans(n_clusters=2, n_init=1, random_state=0).fit(X),
        "causal": lambda: LinearRegression().fit(X, augmented["converted"]),
    }
    model = TrainedModel(
        estimator=estimators[task](),
        task_type=task,
        class_path="test",
        hyperparameters={},
        feature_names=list(X.columns),
    )
    return preprocessor, model


def _training_catalog(task: str) -> tuple[pd.DataFrame, DataCatalog]:
    """The training spine and what a training run's catalog holds once it ended."""
    spine = _spine(task)
    augmented = _features(spine)
    preprocessor, model = _fitted(task, augmented)
    catalog = DataCatalog(
        {
            "augmented": MemoryDataset(augmented),
            "preprocessor": MemoryDataset(preprocessor),
            "model": MemoryDataset(model),
            # The feature store is never read: the augmented spine is reused.
            "augmenter_config": MemoryDataset({"type": "pass_through"}),
            **{
                f"params:{name}": MemoryDataset(value) for name, value in PARAMS.items()
            },
        }
    )
    return spine, catalog


def _signature(task: str) -> mlflow.models.ModelSignature:
    spine, catalog = _training_catalog(task)
    train = create_pipeline()
    output = default_output(
        train.inference, train.input_name, spine, set(train.all_outputs()), catalog
    )
    return build_signature(spine, LABELS[task], PARAMS, output)


@pytest.mark.parametrize("task", sorted(PREDICTION_TYPES))
def test_the_output_schema_is_the_spine_and_the_tasks_predictions(task: str) -> None:
    signature = _signature(task)
    labels = [
        {"type": spec["type"], "name": spec["name"], "required": False}
        for spec in signature.inputs.to_dict()
        if spec["name"] in LABELS[task]
    ]
    assert signature.outputs.to_dict() == [
        {"type": "string", "name": "user_id", "required": True},
        # As the caller sent it: naive or time-zone aware (see the input schema).
        {"type": "any", "name": "event_timestamp", "required": True},
        *labels,  # passed through when sent, optional as inputs
        *(
            {"type": kind, "name": name, "required": True}
            for name, kind in PREDICTION_TYPES[task].items()
        ),
    ]
    assert list(PREDICTION_TYPES[task]) == PREDICTION_COLUMNS[task]


def test_the_output_is_the_inference_pipelines_own_on_the_first_rows() -> None:
    """Reusing the augmented spine predicts what the whole inference pipeline does."""
    spine, catalog = _training_catalog("classification")
    train = create_pipeline()
    reused = default_output(
        train.inference, train.input_name, spine, {"augmented"}, catalog, rows=5
    )
    # Nothing reused: augment_features runs too (a pass-through of a spine that
    # already holds its features).
    whole = default_output(
        train.inference, train.input_name, catalog.load("augmented"), set(), catalog
    )
    assert len(reused) == 5
    pd.testing.assert_frame_equal(
        reused, whole.head(5).drop(columns=["sessions", "spend"])
    )


def test_without_an_output_the_signature_has_no_output_schema() -> None:
    signature = build_signature(_spine("regression"), ["order_value"], PARAMS, None)
    assert signature.outputs is None and signature.inputs is not None


def test_the_logged_pyfunc_predicts_more_than_its_output_schema(tmp_path) -> None:
    """MLflow enforces the input schema only: ``return_intermediate=True`` adds the
    features, which the output schema does not list, and Kedro's runner agrees."""
    spine, training = _training_catalog("classification")
    # The artifact's inference pipeline, its feature store join stood in for.
    inference = (
        Pipeline([Node(_features, "spine", "augmented", name="augment_features")])
        + predict.create_pipeline()
    )
    output = default_output(inference, "spine", spine, {"augmented"}, training)
    # Its only param: the stand-in takes no run_mode.
    params = {"return_intermediate": False}
    signature = build_signature(spine, LABELS["classification"], params, output)
    catalog = DataCatalog({"spine": MemoryDataset()})
    for name in ("preprocessor", "model"):
        fitted = PickleDataset(filepath=str(tmp_path / f"{name}.pkl"))
        fitted.save(training.load(name))  # persisted, as kedro-mlflow requires
        catalog[name] = fitted
    catalog["params:return_intermediate"] = MemoryDataset(False)
    pipeline_model = KedroPipelineModel(
        inference, catalog, input_name="spine", runner=InferenceRunner()
    )
    mlflow.pyfunc.save_model(
        tmp_path / "model",
        python_model=pipeline_model,
        artifacts=pipeline_model.extract_pipeline_artifacts(tmp_path),
        signature=signature,
        pip_requirements=[],  # no dependency inference: nothing is installed from it
    )
    model = mlflow.pyfunc.load_model(str(tmp_path / "model"))
    request = spine.drop(columns="converted").head(3)  # the target is optional

    default = model.predict(request)
    intermediate = model.predict(
        request, params={"return_intermediate": True, "runner": "SequentialRunner"}
    )

    described = [spec.name for spec in model.metadata.signature.outputs.inputs]
    assert list(default.columns) == [c for c in described if c != "converted"]
    assert list(intermediate.columns) == [
        "user_id",
        "event_timestamp",
        "sessions",
        "spend",
        "prediction",
        "probability",
    ]
    pd.testing.assert_frame_equal(intermediate[default.columns], default)
