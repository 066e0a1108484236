"""Fail fast: a DEV run whose services are unreachable stops before any training.

Each broken setting of the DEV stack (the MLflow server, PostgreSQL's address, its
password wrong or unset) makes ``kedro run --env dev --pipelines train`` exit
non-zero within seconds, with a message naming the service and the variable(s) to
fix, without printing the password, and without leaving a run on the MLflow server.
The stack itself must be up (``make test`` starts it and exports ``.env``).
"""

from __future__ import annotations

import contextlib
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import mlflow
import pytest
import sqlalchemy as sa
from project_helpers import copy_project, free_port

from mmp_kedro.services.preflight import (
    ServiceUnavailableError,
    check_mlflow_server,
    check_sql_engine,
)
from mmp_kedro.services.redaction import redacted_text

pytestmark = pytest.mark.e2e

RECIPE = "uplift_model_exp3"
WRONG_PASSWORD = "not-the-dev-password-0xC0FFEE"


def kedro_train(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``kedro run --env dev --pipelines train`` with exactly ``env``."""
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "kedro"),
            "run",
            "--env",
            "dev",
            "--pipelines",
            "train",
            "--params",
            f"recipe={RECIPE}",
        ],
        check=False,
        cwd=project,
        env={**env, "KEDRO_DISABLE_TELEMETRY": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def server_runs_since(tracking_uri: str, since_ms: int) -> list:
    """Every run started on the server since ``since_ms``, whatever its tags (tests
    run one at a time, so these are the test's own)."""
    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    return client.search_runs(
        experiments, filter_string=f"attributes.start_time >= {since_ms}"
    )


def _mlflow_down(env: dict[str, str]) -> None:
    env["MLFLOW_TRACKING_URI"] = f"http://127.0.0.1:{free_port()}"


def _postgres_port_closed(env: dict[str, str]) -> None:
    env["POSTGRES_PORT"] = str(free_port())


def _password_wrong(env: dict[str, str]) -> None:
    env["POSTGRES_PASSWORD"] = WRONG_PASSWORD


def _password_unset(env: dict[str, str]) -> None:
    env.pop("POSTGRES_PASSWORD")


#: case -> (how the environment is broken, the service named (any case), the variables)
BROKEN = {
    "mlflow_server_down": (
        _mlflow_down,
        "mlflow tracking server",
        ("MLFLOW_TRACKING_URI",),
    ),
    "postgres_port_closed": (
        _postgres_port_closed,
        "postgres",
        ("POSTGRES_HOST", "POSTGRES_PORT"),
    ),
    "postgres_password_wrong": (
        _password_wrong,
        "postgres",
        ("POSTGRES_USER", "POSTGRES_PASSWORD"),
    ),
    # Fails resolving conf/dev/credentials.yml: names the variable and `dev_postgres`.
    "postgres_password_unset": (_password_unset, "postgres", ("POSTGRES_PASSWORD",)),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_dev_train_fails_fast_naming_what_to_fix(
    case: str, local_project: Path, stack_env: dict[str, str]
) -> None:
    """Non-zero exit before any node, the service and variables named, no secret,
    no run opened."""
    breaks, service, variables = BROKEN[case]
    env = dict(stack_env)
    breaks(env)
    since_ms = int(time.time() * 1000) - 1000

    result = kedro_train(local_project, env)

    assert result.returncode != 0, f"{case}: the run did not fail"
    assert "Completed 1 out of" not in result.stderr, f"{case}: a node ran"
    assert service in result.stderr.lower(), (
        f"{case}: stderr does not name {service!r}:\n{result.stderr[-3000:]}"
    )
    for variable in variables:
        assert variable in result.stderr, (
            f"{case}: stderr does not name {variable}:\n{result.stderr[-3000:]}"
        )
    output = result.stdout + result.stderr
    assert stack_env["POSTGRES_PASSWORD"] not in output, f"{case}: password printed"
    assert WRONG_PASSWORD not in output, f"{case}: the given password printed"
    runs = server_runs_since(stack_env["MLFLOW_TRACKING_URI"], since_ms)
    finished = [r.info.run_id for r in runs if r.info.status == "FINISHED"]
    assert not finished, f"{case}: FINISHED run(s) {finished} on the DEV server"
    assert not runs, (
        f"{case}: run(s) {[(r.info.run_id, r.info.status) for r in runs]} were opened "
        "on the DEV server although the preflight failed"
    )


def test_check_mlflow_server_on_a_closed_port_names_the_variable() -> None:
    """A closed port fails at once with the URI and ``MLFLOW_TRACKING_URI``."""
    uri = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ServiceUnavailableError) as raised:
        check_mlflow_server(uri, timeout=2.0)
    message = str(raised.value)
    assert "MLflow" in message and uri in message and "MLFLOW_TRACKING_URI" in message
    assert "infra/dev-stack up" in message


def test_check_mlflow_server_never_shows_the_password_in_the_uri() -> None:
    for uri in (
        f"http://ml:s3cret-pw@127.0.0.1:{free_port()}",
        "http://ml:s3cret-pw@127.0.0.1",  # no port: a URL urllib could not even parse
        "http://ml:s3cret-pw@[::1",  # not a URL at all
    ):
        with pytest.raises(ServiceUnavailableError) as raised:
            check_mlflow_server(uri, timeout=2.0)
        assert "s3cret-pw" not in str(raised.value)
        assert "***" in str(raised.value)


def test_check_mlflow_server_counts_any_http_answer() -> None:
    """A server that answers, even 401 (auth in front of MLflow), is up: asked once,
    for /health, with the URI's login as basic auth."""
    requests: list[tuple[str, str | None]] = []

    class Unauthorized(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            requests.append((self.path, self.headers.get("Authorization")))
            self.send_response(401)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Unauthorized)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        status = check_mlflow_server(
            f"http://ml:pw@127.0.0.1:{server.server_port}", timeout=2.0
        )
    finally:
        server.shutdown()
        server.server_close()
    assert status == 401
    assert requests == [("/health", "Basic bWw6cHc=")]  # base64 of "ml:pw"


def test_check_mlflow_server_asks_a_dropped_connection_once() -> None:
    """A server that drops the connection fails the check at the first attempt."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)
    accepted = []

    def drop_each_connection() -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = listener.accept()
                accepted.append(connection)
                connection.close()

    thread = threading.Thread(target=drop_each_connection, daemon=True)
    thread.start()
    try:
        with pytest.raises(ServiceUnavailableError, match="is not answering"):
            check_mlflow_server(
                f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=2.0
            )
    finally:
        listener.close()
        thread.join(timeout=10)
    assert len(accepted) == 1


def test_check_mlflow_server_ignores_non_http_stores() -> None:
    """File and SQLite tracking stores have no server to check."""
    for uri in (None, "", "sqlite:///mlruns.db", "file:///tmp/mlruns"):
        assert check_mlflow_server(uri) is None


def test_check_sql_engine_on_a_closed_port_names_the_variables() -> None:
    """A closed port fails at once naming host/port variables, never the password."""
    port = free_port()
    secret = "s3cret-not-to-print"
    engine = sa.create_engine(
        f"postgresql+psycopg://mluser:{secret}@127.0.0.1:{port}/db"
    )
    with pytest.raises(ServiceUnavailableError) as raised:
        check_sql_engine(engine, "spine_loader (loader SQL)")
    engine.dispose()
    message = str(raised.value)
    assert message.startswith("spine_loader (loader SQL): postgresql at 127.0.0.1:")
    assert str(port) in message
    assert "POSTGRES_HOST" in message and "POSTGRES_PORT" in message
    assert secret not in message


def _stack_engine(stack_env: dict[str, str], password: str) -> sa.Engine:
    """An engine for the DEV stack's PostgreSQL, logging in with ``password``."""
    url = sa.URL.create(
        "postgresql+psycopg",
        username=stack_env["POSTGRES_USER"],
        password=password,
        host=stack_env["POSTGRES_HOST"],
        port=int(stack_env["POSTGRES_PORT"]),
        database=stack_env["POSTGRES_DB"],
    )
    return sa.create_engine(url)


def test_check_sql_engine_with_a_wrong_password_names_the_login_variables(
    stack_env: dict[str, str],
) -> None:
    """The DEV server rejects a wrong password: the login variables are named."""
    engine = _stack_engine(stack_env, password=WRONG_PASSWORD)
    with pytest.raises(ServiceUnavailableError) as raised:
        check_sql_engine(engine, "spine_loader (loader SQL)")
    engine.dispose()
    message = str(raised.value)
    assert "POSTGRES_USER" in message and "POSTGRES_PASSWORD" in message
    assert WRONG_PASSWORD not in message


def test_checks_pass_on_the_running_stack(stack_env: dict[str, str]) -> None:
    """The real DEV MLflow server says 200 and PostgreSQL its version (15)."""
    assert check_mlflow_server(stack_env["MLFLOW_TRACKING_URI"]) == 200
    engine = _stack_engine(stack_env, password=stack_env["POSTGRES_PASSWORD"])
    try:
        version = check_sql_engine(engine, "spine_loader (loader SQL)")
    finally:
        engine.dispose()
    assert version is not None and version[0] == 15


def test_check_sql_engine_with_an_empty_password_names_it(
    stack_env: dict[str, str],
) -> None:
    """``POSTGRES_PASSWORD=`` (as .env.example ships it) is named as empty, with the
    fix, not as an address problem."""
    engine = _stack_engine(stack_env, password="")
    with pytest.raises(ServiceUnavailableError) as raised:
        check_sql_engine(engine, "spine_loader (loader SQL)")
    engine.dispose()
    assert raised.value.problem.startswith(
        "spine_loader (loader SQL): POSTGRES_PASSWORD is empty"
    )
    assert "POSTGRES_HOST" not in str(raised.value)
    assert "infra/dev-stack up" in raised.value.fix


def test_redacted_text_hides_every_login_in_a_quoted_error() -> None:
    message = (
        "API request to http://alice:s3cret@127.0.0.1:5000/api/2.0/runs failed; "
        "retried postgresql+psycopg://mmp:pg-pass@db:5432/mmp and redis://:r3d@host"
    )
    shown = redacted_text(message)
    for secret in ("s3cret", "pg-pass", "r3d", "alice"):
        assert secret not in shown
    assert "http://***@127.0.0.1:5000/api/2.0/runs" in shown
    assert "postgresql+psycopg://***@db:5432/mmp" in shown
    assert redacted_text("no URL here") == "no URL here"


def test_a_read_only_tracking_store_is_named_before_a_run(tmp_path: Path) -> None:
    """``kedro run`` with ``mlruns.db`` read-only says so in one line naming the file.

    Root writes any file whatever its mode, so the run drops the capabilities that
    let it (``setpriv``), as an ordinary user's run would be refused.
    """
    project = copy_project(tmp_path)
    store = project / "mlruns.db"
    mlflow.MlflowClient(f"sqlite:///{store}").search_experiments()
    store.chmod(0o444)
    before = store.read_bytes()

    result = subprocess.run(
        [
            "setpriv",
            "--bounding-set=-dac_override,-dac_read_search",
            "--inh-caps=-dac_override,-dac_read_search",
            str(Path(sys.executable).parent / "kedro"),
            "run",
            "--pipelines=train",
            "--params=recipe=uplift_model_exp3",
        ],
        cwd=project,
        env={
            **{k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"},
            "KEDRO_DISABLE_TELEMETRY": "1",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode != 0
    error_line, traceback_hint = result.stderr.strip().splitlines()[-2:]
    assert f"MLflow tracking store {store} is read-only" in error_line, result.stderr
    assert "server.mlflow_tracking_uri" in error_line
    assert "last_run_error.log" in traceback_hint
    assert "Traceback" not in result.stderr
    assert store.read_bytes() == before
