"""The ``spine`` pipeline."""

from mmp_kedro.pipelines.spine.pipeline import create_pipeline

__all__ = ["create_pipeline"]
