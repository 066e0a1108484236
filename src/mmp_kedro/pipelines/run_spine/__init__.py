"""The ``run_spine`` pipeline."""

from mmp_kedro.pipelines.run_spine.pipeline import create_pipeline

__all__ = ["create_pipeline"]
