"""Fail fast, before any training: is every service the env uses answering?

Each failure names the service and the environment variables to fix, and says how
to start the DEV stack. Nothing here prints a password.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import redis
import sqlalchemy as sa
from kedro.config import MissingConfigException
from omegaconf.errors import InterpolationResolutionError
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy.exc import OperationalError

from mmp_kedro.services.redaction import redacted_url, without_secret

DEV_STACK_HINT = "start the DEV stack with `infra/dev-stack up`"

#: The variables behind each backend's address and login (see .env.example).
ENV_VARS = {
    "postgresql": (
        ("POSTGRES_HOST", "POSTGRES_PORT"),
        ("POSTGRES_USER", "POSTGRES_PASSWORD"),
    ),
    "redis": (("REDIS_HOST", "REDIS_PORT"), ("REDIS_PASSWORD",)),
}


class ServiceUnavailableError(RuntimeError):
    """A service the env's config points at cannot be used.

    ``problem`` says what failed and ``fix`` what to do (empty when the message
    says both); ``str()`` is ``"<problem>: <fix>"``.
    """

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(f"{problem}: {fix}" if fix else problem)
        self.problem = problem
        self.fix = fix


def resolved_config(config_loader: Any, key: str) -> dict[str, Any]:
    """The env's ``key`` config (``credentials``, ``mlflow``...) with every
    ``${oc.env:VAR}`` resolved.

    Raises:
        ServiceUnavailableError: a variable it reads is not set, named.
        MissingConfigException: the env has no such config (as Kedro raises it).
    """
    try:
        return dict(config_loader[key])
    except InterpolationResolutionError as err:
        raise ServiceUnavailableError(
            f"{key}.yml of env '{config_loader.env}': {str(err).splitlines()[0]}. "
            "Set it (see .env.example) and load it with `set -a; . ./.env; set +a`; "
            f"for DEV, `infra/dev-stack up` creates .env"
        ) from None


def check_credentials_resolve(config_loader: Any) -> None:
    """Every ``${oc.env:VAR}`` in the env's credentials has its variable set."""
    try:
        resolved_config(config_loader, "credentials")
    except MissingConfigException:
        return


def check_tracking_server(config_loader: Any) -> str | None:
    """The env's credentials resolve and its MLflow server, if an HTTP one, answers.

    Returns:
        The tracking URI of the env's ``mlflow.yml`` (None for an env without one).

    Raises:
        ServiceUnavailableError: a variable is not set, or the server does not answer.
    """
    check_credentials_resolve(config_loader)
    try:
        server = resolved_config(config_loader, "mlflow").get("server") or {}
    except MissingConfigException:
        return None
    tracking_uri = server.get("mlflow_tracking_uri")
    check_mlflow_server(tracking_uri)
    check_sqlite_store(tracking_uri)
    return tracking_uri


def check_mlflow_server(tracking_uri: str | None, timeout: float = 5.0) -> int | None:
    """An HTTP tracking server answers ``/health`` once, without retries (file and
    sqlite stores have no server: None).

    Any HTTP response counts as answering (a server behind auth may say 401); a
    ``user:password@`` in the URI is sent as basic auth and never shown.

    Returns:
        The HTTP status of the answer.
    """
    if not tracking_uri or not tracking_uri.startswith(("http://", "https://")):
        return None
    shown = redacted_url(tracking_uri)
    fix = f"check MLFLOW_TRACKING_URI, or {DEV_STACK_HINT}"
    try:
        return httpx.get(
            f"{tracking_uri.rstrip('/')}/health", timeout=timeout
        ).status_code
    except httpx.InvalidURL:
        raise ServiceUnavailableError(
            f"MLflow tracking URI {shown} is not a valid URL", fix
        ) from None
    except httpx.HTTPError as err:
        raise ServiceUnavailableError(
            f"MLflow tracking server at {shown} is not answering "
            f"({type(err).__name__}: {err})",
            fix,
        ) from None


def check_sqlite_store(tracking_uri: str | None) -> None:
    """A ``sqlite:///`` tracking store can be written: the file, and its directory
    (SQLite writes its journal beside it), or the directory it will be created in.

    MLflow would otherwise fail on its first write with SQLite's "attempt to write a
    readonly database", naming neither the file nor the setting.
    """
    if not tracking_uri or not tracking_uri.startswith("sqlite:"):
        return
    database = sa.engine.make_url(tracking_uri).database
    if not database or database == ":memory:":
        return
    store = Path(database).absolute()
    unwritable = [
        path
        for path in (store, store.parent)
        if path.exists() and not os.access(path, os.W_OK)
    ]
    if unwritable:
        raise ServiceUnavailableError(
            f"MLflow tracking store {store} is read-only (no write permission "
            f"on {' nor '.join(map(str, unwritable))})",
            "make it writable (`chmod u+w`), or point server.mlflow_tracking_uri "
            "in the env's mlflow.yml at a store you can write",
        )


def check_sql_engine(engine: sa.Engine, role: str) -> tuple[int, ...] | None:
    """One round trip on a SQL engine; errors say which variables to fix.

    Returns:
        The server's version as the dialect reads it on connecting (None where the
        dialect reads none).
    """
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return engine.dialect.server_version_info
    except OperationalError as err:
        raise ServiceUnavailableError(
            *_describe_sql_failure(engine, role, err)
        ) from None


def _describe_sql_failure(
    engine: sa.Engine, role: str, err: OperationalError
) -> tuple[str, str]:
    """``(problem, fix)`` for a failed connection; the password is redacted."""
    backend = engine.url.get_backend_name()
    address_vars, login_vars = ENV_VARS.get(
        backend, (("the host", "port"), ("the user", "password"))
    )
    where = f"{backend} at {engine.url.host}:{engine.url.port}"
    detail = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
    if "no password supplied" in detail:
        password_var = login_vars[-1]
        return (
            f"{role}: {password_var} is empty ({backend} at {engine.url.host}:"
            f"{engine.url.port} asks for a password)",
            f"set {password_var} in .env (`infra/dev-stack up` generates one for "
            "the DEV stack) and load it with `set -a; . ./.env; set +a`",
        )
    if "password authentication failed" in detail or "authentication" in detail.lower():
        fix = f"check {' and '.join(login_vars)}"
    elif "does not exist" in detail:
        fix = f"check POSTGRES_DB, or {DEV_STACK_HINT}"
    else:
        fix = f"check {' and '.join(address_vars)}, or {DEV_STACK_HINT}"
    detail = without_secret(detail, engine.url.password)
    return f"{role}: {where} refused the connection ({detail})", fix


def check_redis(connection_string: str, timeout: float = 1.0) -> None:
    """A Redis online store answers PING, without retries.

    ``connection_string`` is Feast's ``host:port,password=...,ssl=true,...``; it is
    never put in an error message (it may hold the password).
    """
    address, *options = connection_string.split(",")
    host, _, port_text = address.partition(":")
    port = int(port_text or 6379)
    settings = dict(option.split("=", 1) for option in options if "=" in option)
    password = settings.get("password") or None
    client = redis.Redis(
        host=host,
        port=port,
        password=password,
        ssl=settings.get("ssl", "").lower() == "true",
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        client.ping()
    except redis.RedisError as err:
        detail = without_secret(str(err), password)
        address_vars, login_vars = ENV_VARS["redis"]
        if isinstance(err, redis.AuthenticationError) or "auth" in detail.lower():
            fix = f"check {' and '.join(login_vars)}"
        else:
            fix = f"check {' and '.join(address_vars)}, or {DEV_STACK_HINT}"
        raise ServiceUnavailableError(
            f"Redis at {host}:{port} is not answering ({detail})", fix
        ) from None
    finally:
        client.close()


def check_catalog_services(catalog: Any) -> None:
    """The spine loader's database answers (the feature store's registry is checked
    when the recipe's features are)."""
    if "spine_loader" in catalog:
        runner = catalog.load("spine_loader")
        check_sql_engine(runner.engine, "spine_loader (loader SQL)")
