"""``${run_scratch:<file>}``: one directory per process, outside the project, gone
when the process ends; the catalog's intermediates all live there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from project_helpers import PROJECT_ROOT

from mmp_kedro.config.loader import config_loader
from mmp_kedro.config.scratch import run_scratch_path

INTERMEDIATES = (
    "spine",
    "augmented",
    "train_set",
    "test_set",
    *("augmenter_config", "preprocessor", "model"),
)


def test_paths_share_one_directory_of_this_process():
    first, second = Path(run_scratch_path("a.parquet")), Path(run_scratch_path("b"))
    assert first.parent == second.parent
    assert first.parent.is_dir()
    assert PROJECT_ROOT not in first.parents


def test_each_process_gets_its_own_directory_removed_at_exit():
    script = (
        "from mmp_kedro.config.scratch import run_scratch_path; "
        "print(run_scratch_path('x'))"
    )
    paths = [
        Path(
            subprocess.run(
                [sys.executable, "-c", script],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        for _ in range(2)
    ]
    assert paths[0].parent != paths[1].parent
    assert not paths[0].parent.exists() and not paths[1].parent.exists()


def test_every_intermediate_dataset_is_in_the_run_scratch_directory():
    catalog = config_loader(PROJECT_ROOT, "local")["catalog"]
    scratch = Path(run_scratch_path("x")).parent
    for name in INTERMEDIATES:
        assert Path(catalog[name]["filepath"]).parent == scratch, name
    for name, entry in catalog.items():
        if entry.get("type") == "kedro_mlflow.io.artifacts.MlflowArtifactDataset":
            assert Path(entry["dataset"]["filepath"]).parent == scratch, name
