"""``PreflightHook``: a session stops at once on an unset credential variable or an
MLflow server that does not answer, before kedro-mlflow talks to it."""

from __future__ import annotations

import httpx
import pytest
from project_helpers import free_port

from mmp_kedro.hooks import preflight as preflight_hook
from mmp_kedro.hooks.preflight import PreflightHook
from mmp_kedro.services import preflight
from mmp_kedro.services.preflight import ServiceUnavailableError


def test_local_checks_only_its_sqlite_store(kedro_context, monkeypatch):
    """LOCAL tracks to ``mlruns.db``: no server to reach, the store is writable, and
    no DEV credential is needed."""
    monkeypatch.delenv("POSTGRES_PASSWORD", raising=False)
    checked, requested, returned = [], [], []

    def check_sqlite_store(uri):
        checked.append(uri)
        return original_sqlite_check(uri)

    def check_tracking_server(config_loader):
        returned.append(original_server_check(config_loader))
        return returned[-1]

    original_sqlite_check = preflight.check_sqlite_store
    original_server_check = preflight_hook.check_tracking_server
    monkeypatch.setattr(preflight, "check_sqlite_store", check_sqlite_store)
    monkeypatch.setattr(preflight_hook, "check_tracking_server", check_tracking_server)
    monkeypatch.setattr(httpx, "get", lambda url, **kwargs: requested.append(url))

    PreflightHook().after_context_created(kedro_context("local"))

    assert returned == ["sqlite:///mlruns.db"]  # what the hook's check resolved
    assert checked == ["sqlite:///mlruns.db"]  # the store's writability checked
    assert requested == []  # no server asked


def test_an_unset_credential_variable_is_named(kedro_context, monkeypatch):
    monkeypatch.delenv("POSTGRES_PASSWORD", raising=False)
    with pytest.raises(ServiceUnavailableError) as raised:
        PreflightHook().after_context_created(kedro_context("dev"))
    assert "credentials.yml of env 'dev'" in str(raised.value)
    assert "POSTGRES_PASSWORD" in str(raised.value)


def test_a_dead_mlflow_server_is_named_with_its_variable(kedro_context, monkeypatch):
    monkeypatch.setenv("POSTGRES_PASSWORD", "not-used-here")
    dead = f"http://user:secret@127.0.0.1:{free_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", dead)
    with pytest.raises(ServiceUnavailableError) as raised:
        PreflightHook().after_context_created(kedro_context("dev"))
    assert raised.value.problem.startswith("MLflow tracking server at http://")
    assert "is not answering" in raised.value.problem
    assert "MLFLOW_TRACKING_URI" in raised.value.fix
    assert "secret" not in str(raised.value)
