"""The ``package`` pipeline."""

from mmp_kedro.pipelines.package.pipeline import create_pipeline

__all__ = ["create_pipeline"]
