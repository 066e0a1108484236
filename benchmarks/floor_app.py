"""The hand-written floor: the least a competent engineer would serve one run with.

    set -a && . ./.env && set +a
    .venv/bin/python benchmarks/floor_app.py --run-id <id> [--env dev] [--port 8001]

What ``benchmarks/serving_floor.py`` compares our ``/predict`` with: a FastAPI app
written in an afternoon for the run's model, without the artifact's Kedro pipeline.
Start-up reads what it needs from the run on the MLflow tracking server
(``MLFLOW_TRACKING_URI``): the pyfunc model (``contract.load_model``) for its fitted
preprocessor and XGBoost classifier (``contract.fitted_inputs``), the augmenter
config snapshot for the Feast feature references, and the loader SQL and recipe
snapshots for the request fields, computed as serving does
(``serving.schema.request_fields``). The env's Feast store is built as the project
builds it (``feature_store_factory``) and reads the same Redis.

Per request: a pydantic body of those fields, ONE
``FeatureStore.get_online_features(...).to_dict()`` call for every row, a NumPy
matrix in the model's feature order and ``predict_proba`` of the fitted estimator.
The preprocessor is applied with plain NumPy, as an engineer would after looking at
it, not through its ``transform`` on a DataFrame: its fitted statistics (imputer
fill values, scaler means and scales, one-hot categories) are read once at start-up
and each feature is put at the position the model was fitted with
(``TrainedModel.feature_names``), so no DataFrame is built per request. The
endpoints are ``async def``, as ours are, and XGBoost predicts with one thread, as
ours does: the two servers differ in the per-request work only.

``/health`` always answers; ``/ready`` answers 200 once one warm-up prediction (of
keys no store holds) has answered, 503 before.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations,
# and the request model is a local of create_app.
import argparse
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
import uvicorn
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, create_model

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mmp_kedro.artifact import contract  # noqa: E402
from mmp_kedro.feature_store import feature_store_factory  # noqa: E402
from mmp_kedro.feature_store.augmenter import feature_refs  # noqa: E402
from serving.schema import field_types, request_fields  # noqa: E402

#: Request values of the warm-up prediction, by field type: keys no store holds.
WARM_UP_VALUES: dict[type, Any] = {str: "__warm_up__", int: -1, float: -1.0}


class Prediction(BaseModel):
    prediction: int
    probability: float


@dataclass(frozen=True)
class RowEncoder:
    """The fitted ``SimpleScaler`` as NumPy: Feast's columns to the model's matrix.

    ``numeric_*``: per numeric feature, its Feast column, its position in the model's
    input, the imputer's fill value, the scaler's mean and scale. ``categorical``:
    per categorical feature, its Feast column, the imputer's fill value and the
    position of each known category's one-hot column (an unknown one: all zeros).
    """

    width: int
    numeric_columns: list[str]
    numeric_positions: np.ndarray
    numeric_fill: np.ndarray
    numeric_mean: np.ndarray
    numeric_scale: np.ndarray
    categorical: list[tuple[str, Any, dict[Any, int]]]

    @classmethod
    def from_fitted(cls, preprocessor: Any, feature_names: list[str]) -> Self:
        """Read the fitted steps of ``preprocessor``; ``feature_names`` are the model's
        input columns, in order.

        Raises:
            ValueError: the preprocessor's output is not exactly the model's inputs.
        """
        position = {name: i for i, name in enumerate(feature_names)}
        fitted = preprocessor.column_transformer_.named_transformers_
        steps = {
            block: [step for _, step in fitted[block].steps]
            for block in ("numeric", "categorical")
            if block in fitted
        }
        numeric: list[tuple[str, float, float, float]] = []
        if preprocessor.numeric_columns_:
            impute, scale = steps["numeric"]
            kept = _with_fill(preprocessor.numeric_columns_, impute.statistics_)
            numeric = [
                (column, fill, mean, std)
                for (column, fill), mean, std in zip(
                    kept, scale.mean_, scale.scale_, strict=True
                )
            ]
        categorical: list[tuple[str, Any, dict[Any, int]]] = []
        if preprocessor.categorical_columns_:
            impute, encode = steps["categorical"]
            kept = _with_fill(preprocessor.categorical_columns_, impute.statistics_)
            for (column, fill), categories in zip(
                kept, encode.categories_, strict=True
            ):
                # OneHotEncoder's output names: <column>_<category>.
                onehot = {v: position.get(f"{column}_{v}", -1) for v in categories}
                categorical.append((column, fill, onehot))
        produced = [c for c, *_ in numeric] + [
            f"{column}_{value}" for column, _, onehot in categorical for value in onehot
        ]
        if sorted(produced) != sorted(feature_names):
            raise ValueError(
                f"the preprocessor produces {produced}, the model takes {feature_names}"
            )
        return cls(
            width=len(feature_names),
            numeric_columns=[c for c, *_ in numeric],
            numeric_positions=np.array([position[c] for c, *_ in numeric], dtype=int),
            numeric_fill=np.array([f for _, f, _, _ in numeric], dtype=np.float64),
            numeric_mean=np.array([m for _, _, m, _ in numeric], dtype=np.float64),
            numeric_scale=np.array([s for _, _, _, s in numeric], dtype=np.float64),
            categorical=categorical,
        )

    def matrix(self, features: dict[str, list[Any]], rows: int) -> np.ndarray:
        """The model's input for ``rows`` rows of Feast's ``to_dict()`` answer."""
        matrix = np.zeros((rows, self.width), dtype=np.float64)
        # None (no value in the store) becomes NaN, then the imputer's fill value.
        numeric = np.array(
            [features[c] for c in self.numeric_columns], dtype=np.float64
        ).T
        numeric = np.where(np.isnan(numeric), self.numeric_fill, numeric)
        matrix[:, self.numeric_positions] = (
            numeric - self.numeric_mean
        ) / self.numeric_scale
        for column, fill, onehot in self.categorical:
            for row, value in enumerate(features[column]):
                at = onehot.get(fill if value is None else value, -1)
                if at >= 0:
                    matrix[row, at] = 1.0
        return matrix


def _missing(value: Any) -> bool:
    """None or NaN: what the imputers learnt for a column with no values."""
    return value is None or (isinstance(value, float) and np.isnan(value))


def _with_fill(columns: list[str], fills: Any) -> list[tuple[str, Any]]:
    """(column, fill value) for the columns the imputer kept: one all missing at fit
    time has no fill value and is dropped."""
    return [
        (column, fill)
        for column, fill in zip(columns, fills, strict=True)
        if not _missing(fill)
    ]


class FloorModel:
    """The run's feature references, store, encoder and estimator, loaded once."""

    def __init__(self, run_id: str, env: str, project_path: Path) -> None:
        pyfunc = contract.load_model(run_id)
        fitted = contract.fitted_inputs(pyfunc)
        trained = fitted.model  # mmp_kedro.modeling.estimator.TrainedModel
        self.estimator = trained.estimator  # the fitted xgboost.XGBClassifier
        # One thread per call, as our server sets it (the recipe's n_jobs suits
        # training).
        self.estimator.set_params(n_jobs=1)
        self.classes = np.asarray(self.estimator.classes_)
        self.encoder = RowEncoder.from_fitted(
            fitted.preprocessor, trained.feature_names
        )
        augmenter = contract.read_run_yaml(run_id, contract.AUGMENTER_CONFIG_SNAPSHOT)
        self.refs = feature_refs(augmenter)
        labels = contract.read_recipe_snapshot(run_id).data_interface.label_columns
        loader_sql = contract.read_run_text(run_id, contract.LOADER_SQL_SNAPSHOT)
        self.fields = field_types(
            pyfunc.metadata.signature, request_fields(loader_sql, labels)
        )
        self.store = feature_store_factory(project_path, env)()

    def predict(self, entities: list[dict[str, Any]]) -> list[Prediction]:
        """One online read for all ``entities``, one ``predict_proba`` call."""
        features = self.store.get_online_features(
            features=self.refs, entity_rows=entities
        ).to_dict()
        proba = self.estimator.predict_proba(
            self.encoder.matrix(features, len(entities))
        )
        labels = self.classes[proba.argmax(axis=1)]
        positive = proba[:, 1] if proba.shape[1] == 2 else proba.max(axis=1)
        return [
            Prediction(prediction=int(label), probability=float(p))
            for label, p in zip(labels, positive, strict=True)
        ]


def create_app(model: FloorModel) -> FastAPI:
    """``/predict``, ``/predict_batch``, ``/health`` and ``/ready`` over ``model``."""
    request_model = create_model(
        "PredictRequest", **{name: (kind, ...) for name, kind in model.fields.items()}
    )
    warm_up = {name: WARM_UP_VALUES[kind] for name, kind in model.fields.items()}
    state = {"warm": False}

    def try_warm_up() -> bool:
        if not state["warm"]:
            try:
                model.predict([warm_up])
            except Exception:  # noqa: BLE001 - the store down: not ready yet
                return False
            state["warm"] = True
        return True

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try_warm_up()
        yield

    app = FastAPI(title="hand-written floor", lifespan=lifespan)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready")
    def ready() -> JSONResponse:
        if not try_warm_up():
            return JSONResponse({"status": "warming_up"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.post("/predict")
    async def predict(body: request_model) -> Prediction:  # type: ignore[valid-type]
        return model.predict([body.model_dump()])[0]

    @app.post("/predict_batch")
    async def predict_batch(body: list[request_model]) -> list[Prediction]:  # type: ignore[valid-type]
        if not body:
            raise HTTPException(status_code=422, detail="send at least one entity")
        return model.predict([item.model_dump() for item in body])

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="benchmarks/floor_app.py")
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--env", default=os.environ.get("KEDRO_ENV", "dev"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    model = FloorModel(args.run_id, args.env, ROOT)
    uvicorn.run(
        create_app(model),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
