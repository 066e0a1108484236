"""A thin FastAPI app over one wrapped artifact, identified only by its MLflow run id
(or by a registered version, ``models:/<name>@champion``, resolved to its run once at
start-up).

Every prediction runs the artifact's own ``KedroPipelineModel`` (augment -> transform
-> predict) with ``run_mode=serving``: the same nodes batch inference runs, with the
features read from the env's Feast online store instead of the offline store.
"""

import logging
import os
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import redis
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from kedro.config import MissingConfigException, OmegaConfigLoader
from mlflow.exceptions import MlflowException
from pydantic import BaseModel, create_model

from mmp_kedro.artifact import contract, registry
from mmp_kedro.config import environment
from mmp_kedro.config.loader import config_loader
from mmp_kedro.feature_store import (
    bind_feature_store,
    feature_store_factory,
    get_feature_store,
)
from mmp_kedro.feature_store.augmenter import (
    feature_columns,
    feature_refs,
    features_by_join_key,
)
from mmp_kedro.recipe.schema import PREDICTION_COLUMNS
from mmp_kedro.runtime.collector import freeze_for_serving
from mmp_kedro.runtime.hook_manager import share_empty_hook_manager
from mmp_kedro.runtime.pipeline_predictor import PipelinePredictor
from mmp_kedro.services.preflight import (
    ServiceUnavailableError,
    check_tracking_server,
    resolved_config,
)
from mmp_kedro.services.redaction import redacted_text, redacted_url
from serving.limits import BodySizeLimit, LimitsError, ServingLimits, batch_body
from serving.observability import (
    LOG_LEVEL_VARIABLE,
    RequestObserver,
    ServingMetrics,
    configure_logging,
    metrics_endpoint,
)
from serving.schema import build_request_model, field_types, key_lengths, request_fields

log = logging.getLogger("serving")

#: Errors meaning "the online store did not answer" (-> 503, and recovery once it does).
FEATURE_STORE_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

_PREDICTION_TYPES: dict[str, dict[str, Any]] = {
    "classification": {"prediction": (Any, ...), "probability": (float | None, None)},
    "regression": {"prediction": (float, ...)},
    "causal": {"uplift_score": (float, ...)},
    "clustering": {"cluster": (int, ...)},
}


class ServingRefusedError(RuntimeError):
    """This env may not serve the API (LOCAL), with the reason and what to do."""


@dataclass
class ServingSettings:
    """Where to serve from: the env's conf and one run id."""

    env: str
    run_id: str
    project_path: Path = field(default_factory=Path.cwd)
    #: The registered version ``run_id`` was resolved from (``--model-uri``), if any.
    model_uri: str | None = None


@dataclass
class LoadedArtifact:
    """The artifact and what the API derives from it at start-up."""

    run_id: str
    pipeline_model: Any
    predictor: PipelinePredictor  # the pipeline model's nodes, set up once
    predict_params: dict[str, Any]  # the signature's defaults, with run_mode=serving
    task_type: str
    request_fields: dict[str, type]
    label_columns: list[str]
    features_by_entity: dict[str, list[str]]
    feature_columns: list[str]
    metadata: dict[str, Any]
    optimization: dict[str, Any]
    loader_sql: str
    augmenter_config: dict[str, Any]


def check_serving_allowed(
    settings: ServingSettings, loader: OmegaConfigLoader
) -> dict[str, Any]:
    """The env's parameters, or ServingRefusedError when its api_serving is off or
    its limits do not validate."""
    parameters = _read_conf(settings, loader, "parameters")
    serving = parameters.get("api_serving") or {}
    if not serving.get("enabled", False):
        reason = str(serving.get("reason") or "api_serving.enabled is false").strip()
        raise ServingRefusedError(
            f"API serving is disabled in the '{settings.env}' env: {reason}"
        )
    serving_limits(settings, parameters)
    return parameters


def serving_limits(
    settings: ServingSettings, parameters: dict[str, Any]
) -> ServingLimits:
    """The env's ``api_serving.limits``, or ServingRefusedError naming the bad key."""
    try:
        return ServingLimits.from_parameters(parameters)
    except LimitsError as err:
        raise ServingRefusedError(
            f"parameters of env '{settings.env}' (conf/{settings.env}/parameters.yml "
            f"or conf/base/): {err}"
        ) from None


def _read_conf(
    settings: ServingSettings, loader: OmegaConfigLoader, key: str
) -> dict[str, Any]:
    """One config group of the env, or ServingRefusedError naming what to fix."""
    try:
        return resolved_config(loader, key)
    except MissingConfigException:
        envs = sorted(
            p.name
            for p in (settings.project_path / "conf").iterdir()
            if p.is_dir() and p.name != "base"
        )
        raise ServingRefusedError(
            f"env '{settings.env}' has no conf/{settings.env}/ in "
            f"{settings.project_path}: pass --env (KEDRO_ENV) as one of {envs}"
        ) from None
    except ServiceUnavailableError as err:
        raise ServingRefusedError(str(err)) from None


def load_artifact(run_id: str) -> LoadedArtifact:
    """The pyfunc model and its run's snapshots, by run id only.

    Reads the feature views of the bound feature store (bind it first).
    """
    pyfunc = contract.load_model(run_id)
    pipeline_model = pyfunc.unwrap_python_model()
    # Each request predicts one row in its own server thread: the recipe's n_jobs
    # (right for training) would only make those threads fight over the cores.
    contract.fitted_inputs(pyfunc).model.limit_threads(1)
    metadata = contract.read_run_json(run_id, contract.MODEL_METADATA)
    labels = contract.read_recipe_snapshot(run_id).data_interface.label_columns
    loader_sql = contract.read_run_text(run_id, contract.LOADER_SQL_SNAPSHOT)
    names = request_fields(loader_sql, labels)
    augmenter = contract.read_run_yaml(run_id, contract.AUGMENTER_CONFIG_SNAPSHOT)
    uses_store = augmenter.get("type") == "feature_store"
    return LoadedArtifact(
        run_id=run_id,
        pipeline_model=pipeline_model,
        predictor=PipelinePredictor(pipeline_model),
        predict_params=serving_params(pyfunc.metadata),
        task_type=metadata["task_type"],
        request_fields=field_types(pyfunc.metadata.signature, names),
        label_columns=labels,
        features_by_entity=features_by_join_key(augmenter) if uses_store else {},
        feature_columns=feature_columns(augmenter),  # none for pass_through
        metadata=metadata,
        optimization=contract.read_run_json(
            run_id, contract.HYPERPARAMETER_OPTIMIZATION
        ),
        loader_sql=loader_sql,
        augmenter_config=augmenter,
    )


def serving_params(model_metadata: Any) -> dict[str, Any]:
    """What ``pyfunc.predict`` would pass: the signature's param defaults (the
    artifact's runner among them), with ``run_mode=serving`` and the intermediate
    features returned.

    The app calls the unwrapped ``KedroPipelineModel`` to skip pyfunc's per-call
    schema enforcement (the request model has validated the input already), so the
    defaults pyfunc would fill in are filled in here.
    """
    schema = model_metadata.get_params_schema()
    defaults = {param.name: param.default for param in schema.params} if schema else {}
    return {**defaults, "run_mode": "serving", "return_intermediate": True}


def check_run_servable(settings: ServingSettings) -> dict[str, Any]:
    """The env's parameters, once serving is allowed and the run exists.

    Cheap enough for a supervisor to call before it starts worker processes, so a
    refusal or a wrong run id fails once, not in every worker.
    """
    loader = config_loader(settings.project_path, settings.env)
    parameters = check_serving_allowed(settings, loader)
    _use_tracking_server(loader)
    try:
        run = mlflow.MlflowClient().get_run(settings.run_id)
    except MlflowException as err:
        where = redacted_url(mlflow.get_tracking_uri())
        if err.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise ServingRefusedError(
                f"run '{settings.run_id}' does not exist on the MLflow tracking server "
                f"{where} (env '{settings.env}'): check --run-id (MMP_RUN_ID) and "
                "MLFLOW_TRACKING_URI"
            ) from None
        if err.error_code == "INVALID_PARAMETER_VALUE":
            raise ServingRefusedError(
                f"'{settings.run_id}' is not a run id the MLflow tracking server "
                f"{where} accepts ({str(err.message).splitlines()[0]}): pass the "
                "32-character run id shown in the MLflow UI"
            ) from None
        raise ServingRefusedError(
            f"the MLflow tracking server {where} could not give run "
            f"'{settings.run_id}': {redacted_text(str(err.message).splitlines()[0])}"
        ) from None
    try:
        contract.check_finished(run)
    except ValueError as err:
        raise ServingRefusedError(str(err)) from None
    return parameters


def _use_tracking_server(loader: OmegaConfigLoader) -> None:
    """The env's MLflow tracking server (and registry) for this process, once it
    answers; ServingRefusedError otherwise."""
    try:
        # Fails in seconds; MLflow's own client retries for minutes first.
        tracking_uri = check_tracking_server(loader)
    except ServiceUnavailableError as err:
        raise ServingRefusedError(str(err)) from None
    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)


def settings_for_model_uri(
    env: str, model_uri: str, project_path: Path
) -> ServingSettings:
    """The settings serving the run of the registered version ``model_uri``
    (``models:/<name>@<alias>`` or ``models:/<name>/<version>``), resolved once: an
    alias moved later does not change what this server, or its workers, serve.

    Raises:
        ServingRefusedError: the env may not serve, or the registry does not know
            the name, alias or version.
    """
    try:
        registry.parse_model_uri(model_uri)  # a typo fails before any server is asked
    except ValueError as err:
        raise ServingRefusedError(f"--model-uri (MMP_MODEL_URI): {err}") from None
    settings = ServingSettings(
        env=env, run_id="", project_path=project_path, model_uri=model_uri
    )
    loader = config_loader(project_path, env)
    check_serving_allowed(settings, loader)  # LOCAL refuses before any lookup
    _use_tracking_server(loader)
    try:
        resolved = registry.resolve_model_uri(model_uri)
    except ValueError as err:
        raise ServingRefusedError(f"--model-uri (MMP_MODEL_URI): {err}") from None
    log.info("model uri %s", resolved.describe())
    return replace(settings, run_id=resolved.run_id, model_uri=resolved.uri)


def settings_from_environment() -> ServingSettings:
    """``KEDRO_ENV``, ``MMP_RUN_ID`` and ``MMP_PROJECT_PATH``, as the container sets
    them (``MMP_MODEL_URI`` only says where that run id came from: ``python -m
    serving`` resolved it before starting the workers)."""
    return ServingSettings(
        env=environment.run_env(),
        run_id=os.environ["MMP_RUN_ID"],
        project_path=environment.project_path(),
        model_uri=os.environ.get("MMP_MODEL_URI") or None,
    )


def app_from_environment() -> FastAPI:
    """App factory for uvicorn worker processes (``python -m serving --workers N``),
    logging as the process that started them."""
    configure_logging(os.environ.get(LOG_LEVEL_VARIABLE, "info"))
    return create_app(settings_from_environment())


def served_run(settings: ServingSettings, artifact: LoadedArtifact) -> dict[str, str]:
    """The run answering, and the registered version it was resolved from: an alias
    may have moved since this server started."""
    served = {"run_id": artifact.run_id}
    if settings.model_uri:
        served["model_uri"] = settings.model_uri
    return served


def create_app(settings: ServingSettings) -> FastAPI:
    """The app for one run; refuses LOCAL before loading anything."""
    _quiet_per_call_logging()
    parameters = check_run_servable(settings)
    metrics = ServingMetrics()
    store_factory = feature_store_factory(settings.project_path, settings.env)
    bind_feature_store(lambda: metrics.timed_online_reads(store_factory()))
    try:
        artifact = load_artifact(settings.run_id)
    except ValueError as err:  # a file or the model the contract promises is missing
        raise ServingRefusedError(str(err)) from None
    limits = serving_limits(settings, parameters)
    request_model = build_request_model(
        artifact.request_fields,
        key_lengths(
            artifact.loader_sql, artifact.request_fields, limits.max_key_length
        ),
    )
    batch_model = batch_body(request_model, limits.max_batch_entities)
    response_model = _response_model(artifact)
    share_empty_hook_manager()
    # Everything loaded so far lives as long as the process (see mmp_kedro.runtime).
    freeze_for_serving()

    warm = WarmUp(artifact)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        warm.try_once()
        log.info(
            "serving run %s%s (%s) in env '%s'%s",
            artifact.run_id,
            f" ({settings.model_uri})" if settings.model_uri else "",
            artifact.task_type,
            settings.env,
            "" if warm.done else " (not ready: the warm-up prediction failed)",
        )
        yield

    app = FastAPI(
        title="mmp-kedro model API",
        description=f"Run `{artifact.run_id}`: {artifact.metadata.get('model_class_path')} "
        f"trained from recipe `{artifact.metadata.get('recipe_name')}`.",
        version=str(artifact.metadata.get("model_version", "")),
        lifespan=lifespan,
    )
    app.state.artifact = artifact
    app.state.parameters = parameters
    app.state.metrics = metrics
    metrics.describe_model(artifact.run_id, artifact.task_type)
    app.add_middleware(BodySizeLimit, max_body_bytes=limits.max_body_bytes)
    # Added last, so outermost: a request refused by the body limit is counted too.
    app.add_middleware(RequestObserver, metrics=metrics)
    app.add_api_route(
        "/metrics", metrics_endpoint(metrics), methods=["GET"], include_in_schema=False
    )

    @app.exception_handler(FEATURE_STORE_DOWN[0])
    @app.exception_handler(FEATURE_STORE_DOWN[1])
    async def feature_store_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("feature store unavailable: %s", type(exc).__name__)
        return JSONResponse(
            status_code=503,
            content={
                "detail": "the feature store's online store (Redis) is not answering; "
                "retry when it is back"
            },
        )

    served = served_run(settings, artifact)

    @app.get("/health", summary="Liveness, and the run served")
    def health() -> dict[str, str]:
        return {"status": "ok", **served}

    @app.get(
        "/ready",
        summary="Model loaded, warm-up prediction answered, feature store reachable",
    )
    def ready() -> JSONResponse:
        if not warm.try_once():
            return JSONResponse(
                status_code=503,
                content={
                    "status": "warming_up",
                    "model_loaded": True,
                    "warm_up_prediction": False,
                },
            )
        try:
            _probe_feature_store(artifact)
        except FEATURE_STORE_DOWN:
            return JSONResponse(
                status_code=503,
                content={
                    "status": "unavailable",
                    "model_loaded": True,
                    "feature_store": "unreachable",
                },
            )
        return JSONResponse(
            {"status": "ready", "model_loaded": True, "feature_store": "ok"}
        )

    # The prediction endpoints are `async def` on purpose: the work is CPU-bound
    # and holds the GIL, so running it on the event loop saves a thread hand-off per
    # request and the GIL contention of a thread pool (~1.2x the requests/s at
    # concurrency 8 in benchmarks/serving_load.py).
    @app.post(
        "/predict", response_model=response_model, summary="Predict for one entity"
    )
    async def predict(
        body: request_model, include_features: bool = False
    ) -> dict[str, Any]:  # type: ignore[valid-type]
        response = _predict(artifact, [body.model_dump()], include_features)[0]
        metrics.count_unknown_entities(response["unknown_entities"])
        return response

    @app.post(
        "/predict_batch",
        response_model=list[response_model],
        summary="Predict for a list of entities",
    )
    async def predict_batch(
        body: batch_model, include_features: bool = False
    ) -> list[dict[str, Any]]:  # type: ignore[valid-type]
        if not body:
            raise HTTPException(status_code=422, detail="send at least one entity")
        responses = _predict(
            artifact, [item.model_dump() for item in body], include_features
        )
        for response in responses:
            metrics.count_unknown_entities(response["unknown_entities"])
        return responses

    @app.get("/model/metadata", summary="The artifact's model_metadata record")
    def model_metadata() -> dict[str, Any]:
        return {"run_id": artifact.run_id, **artifact.metadata}

    @app.get("/model/optimization", summary="The hyperparameter_optimization record")
    def model_optimization() -> dict[str, Any]:
        return artifact.optimization

    @app.get(
        "/model/schema",
        summary="Request and response fields, derived from the artifact",
    )
    def model_schema() -> dict[str, Any]:
        return {
            "request_fields": {
                n: t.__name__ for n, t in artifact.request_fields.items()
            },
            "response_fields": list(response_model.model_fields),
            "derived_from": "loader_sql_snapshot: top-level SELECT columns minus "
            f"event_timestamp and {artifact.label_columns}",
        }

    return app


def _predict(
    artifact: LoadedArtifact, rows: list[dict[str, Any]], include_features: bool
) -> list[dict[str, Any]]:
    """Run the artifact's pipeline in serving mode and shape one response per row."""
    # Serving asks "as of now": the online store holds the latest values.
    now = np.datetime64(datetime.now(UTC).replace(tzinfo=None), "us")
    frame = pd.DataFrame(
        {
            **{name: [row[name] for row in rows] for name in artifact.request_fields},
            # An array, not a list of Timestamps, which pandas would inspect one by one.
            "event_timestamp": np.full(len(rows), now),
        },
        copy=False,
    )
    output = artifact.predictor.predict(frame, artifact.predict_params)
    prediction_columns = PREDICTION_COLUMNS[artifact.task_type]
    names = [*prediction_columns, *artifact.feature_columns]
    # One conversion of the whole frame, not a Series per column: on a frame this
    # small, pandas' per-column cost is most of the response shaping.
    values = output.to_numpy(dtype=object)[:, output.columns.get_indexer(names)]
    position = {name: i for i, name in enumerate(names)}
    responses = []
    for row in values:
        response: dict[str, Any] = {
            c: _plain(row[position[c]]) for c in prediction_columns
        }
        response["run_id"] = artifact.run_id
        response["unknown_entities"] = [
            key
            for key, features in artifact.features_by_entity.items()
            if all(pd.isna(row[position[f]]) for f in features)
        ]
        if include_features:
            response["features"] = {
                c: _plain(row[position[c]]) for c in artifact.feature_columns
            }
        responses.append(response)
    return responses


class WarmUp:
    """One prediction before the app reports ready, so that the first client request
    does not pay for what only a first call loads (lazy imports, XGBoost's and
    Feast's first-call set-up)."""

    def __init__(self, artifact: LoadedArtifact):
        self.artifact = artifact
        self.done = False

    def try_once(self) -> bool:
        """Whether a warm-up prediction has answered; tries one if none has yet.

        A failure (the online store down) is logged and tried again on the next
        call: ``/ready`` stays false until one answers.
        """
        if self.done:
            return True
        entity = {
            name: WARM_UP_VALUES[kind]
            for name, kind in self.artifact.request_fields.items()
        }
        try:
            _predict(self.artifact, [entity], include_features=False)
        except Exception as err:  # noqa: BLE001 - any failure means "not ready yet"
            log.warning(
                "warm-up prediction failed: %s", redacted_text(str(err).splitlines()[0])
            )
            return False
        self.done = True
        return True


#: Request values of the warm-up prediction, by field type: keys no store holds.
WARM_UP_VALUES: dict[type, Any] = {
    str: "__warm_up__",
    int: -1,
    float: -1.0,
    bool: False,
}


def _probe_feature_store(artifact: LoadedArtifact) -> None:
    """One real online read (of a key that need not exist) through Feast."""
    if not artifact.features_by_entity:
        return
    refs = feature_refs(artifact.augmenter_config)[:1]
    key = next(iter(artifact.features_by_entity))
    get_feature_store().get_online_features(
        features=refs, entity_rows=[{key: "__ready_probe__"}]
    )


def _response_model(artifact: LoadedArtifact) -> type[BaseModel]:
    return create_model(
        "PredictionResponse",
        run_id=(str, ...),
        unknown_entities=(list[str], []),
        features=(dict[str, Any] | None, None),
        **_PREDICTION_TYPES[artifact.task_type],
    )


def _plain(value: Any) -> Any:
    """JSON-friendly scalars: numpy -> python, NaN/NA -> None."""
    if value is None or pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _quiet_per_call_logging() -> None:
    """kedro and kedro-mlflow log each dataset load at INFO, at start-up and in a
    predict call: noise in a server's log and a cost on every request."""
    for name in ("kedro", "kedro_mlflow", "feast"):
        logging.getLogger(name).setLevel(logging.WARNING)
