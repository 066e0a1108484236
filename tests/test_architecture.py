"""The layer rules of ARCHITECTURE.md hold: ``lint-imports`` keeps every contract of
``[tool.importlinter]`` in pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from project_helpers import PROJECT_ROOT


def _lint_imports(where: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the tree at ``where`` (its pyproject.toml's contracts)."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache", "--no-logo"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_every_import_contract_is_kept():
    result = _lint_imports(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    contracts = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"][
        "importlinter"
    ]["contracts"]
    assert len(contracts) >= 3
    for contract in contracts:
        assert f"{contract['name']} KEPT" in result.stdout, result.stdout[-4000:]


@pytest.mark.parametrize(
    ("imported", "contract"),
    [
        (
            "mmp_kedro.pipelines.augment import nodes",
            "Entry pipelines reach a stage through its create_pipeline, never its nodes",
        ),
        (
            "mmp_kedro.pipelines import augment",
            "An entry pipeline's nodes import no other pipeline",
        ),
    ],
)
def test_a_node_module_importing_another_pipeline_breaks_a_contract(
    tmp_path: Path, imported: str, contract: str
):
    """The contracts catch what they are for: evaluate's nodes importing augment."""
    shutil.copytree(PROJECT_ROOT / "src" / "mmp_kedro", tmp_path / "mmp_kedro")
    shutil.copytree(PROJECT_ROOT / "serving", tmp_path / "serving")
    shutil.copy2(PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    nodes = tmp_path / "mmp_kedro" / "pipelines" / "evaluate" / "nodes.py"
    nodes.write_text(
        nodes.read_text() + "\nfrom mmp_kedro.pipelines.augment import nodes  # noqa\n"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert (
        "Entry pipelines reach a stage through its create_pipeline, never its nodes "
        "BROKEN"
    ) in result.stdout
    assert (
        "mmp_kedro.pipelines.evaluate.nodes -> mmp_kedro.pipelines.augment.nodes"
        in (result.stdout)
    )
