"""Feast's typeguard instrumentation is skipped as ``python -O`` skips it.

Each case is one fresh interpreter (Feast instruments its classes when imported), so
each checks everything that holds for its import order: skipped before Feast is
imported, or Feast imported first.
"""

from __future__ import annotations

import subprocess
import sys

CHECKED_OR_NOT = (
    "import typeguard\n"
    "from feast import Entity\n"
    "try:\n"
    "    Entity(name=1, join_keys=['user_id'])\n"
    "except typeguard.TypeCheckError:\n"
    "    print('checked')\n"
    "else:\n"
    "    print('unchecked')\n"
)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )


def test_skipped_before_feast_is_imported_feast_is_unchecked_and_keeps_its_api():
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
        "assert __debug__  # asserts are kept, unlike python -O\n" + CHECKED_OR_NOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["user_id", "unchecked"]


def test_with_feast_imported_first_it_is_checked_and_the_skip_refuses():
    result = _run(
        CHECKED_OR_NOT
        + "from mmp_kedro.runtime.debug_checks import skip_typeguard_instrumentation\n"
        "skip_typeguard_instrumentation()\n"
    )
    assert result.stdout.split() == ["checked"], result.stderr
    assert result.returncode != 0
    assert "before feast is imported" in result.stderr
