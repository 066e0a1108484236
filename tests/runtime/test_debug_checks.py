"""Feast's typeguard instrumentation is skipped as ``python -O`` skips it."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )


def test_feast_loads_uninstrumented_and_keeps_its_api() -> None:
    result = _run(
        "from mmp_kedro.runtime.debug_checks import skip_typeguard_instrumentation\n"
        "skip_typeguard_instrumentation()\n"
        "import typeguard, feast\n"
        "def f(x: int) -> int: return x\n"
        "assert typeguard.typechecked(f) is f\n"
        "assert typeguard.typechecked()(f) is f\n"
        # The decorated class still works, without its run-time checks.
        "from feast import Entity\n"
        "print(Entity(name='user', join_keys=['user_id']).join_key)\n"
        "assert __debug__  # asserts are kept, unlike python -O\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "user_id"


def test_it_refuses_once_feast_is_imported() -> None:
    result = _run(
        "import feast\n"
        "from mmp_kedro.runtime.debug_checks import skip_typeguard_instrumentation\n"
        "skip_typeguard_instrumentation()\n"
    )
    assert result.returncode != 0
    assert "before feast is imported" in result.stderr


@pytest.mark.parametrize("skip", [False, True])
def test_feast_type_checks_run_only_when_not_skipped(skip: bool) -> None:
    prelude = (
        "from mmp_kedro.runtime.debug_checks import skip_typeguard_instrumentation\n"
        "skip_typeguard_instrumentation()\n"
        if skip
        else ""
    )
    result = _run(
        prelude + "import typeguard\n"
        "from feast import Entity\n"
        "try:\n"
        "    Entity(name=1, join_keys=['user_id'])\n"
        "except typeguard.TypeCheckError:\n"
        "    print('checked')\n"
        "else:\n"
        "    print('unchecked')\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("unchecked" if skip else "checked")
