"""``KEDRO_ENV`` and ``MMP_PROJECT_PATH``: the env and project of a process outside
``kedro run``; the names read before still work, with a warning."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from mmp_kedro.config import environment


def test_defaults_are_local_and_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert environment.run_env({}) == "local"
        assert environment.project_path({}) == tmp_path


def test_the_current_names_are_read_without_a_warning():
    environ = {"KEDRO_ENV": "dev", "MMP_PROJECT_PATH": "/srv/project"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert environment.run_env(environ) == "dev"
        assert environment.project_path(environ) == Path("/srv/project")


@pytest.mark.parametrize(
    ("old", "new", "read"),
    [
        ("MMP_ENV", "KEDRO_ENV", environment.run_env),
        ("MMP_KEDRO_PROJECT_PATH", "MMP_PROJECT_PATH", environment.project_path),
    ],
)
def test_a_deprecated_name_still_works_with_a_warning(old, new, read):
    with pytest.warns(FutureWarning, match=rf"{old} is deprecated .* set {new}"):
        value = read({old: "prod"})
    assert str(value) == "prod"


def test_the_current_name_wins_over_a_different_deprecated_one():
    with pytest.warns(FutureWarning, match=r"MMP_ENV is deprecated and ignored"):
        assert environment.run_env({"KEDRO_ENV": "dev", "MMP_ENV": "prod"}) == "dev"
