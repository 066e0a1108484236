"""The project's config loader, for ``settings.py`` and for code that reads ``conf/``
outside a Kedro session (serving, the feature-store CLI, a bare pyfunc load)."""

from __future__ import annotations

from pathlib import Path

from kedro.config import OmegaConfigLoader
from omegaconf.resolvers import oc

from mmp_kedro.config.scratch import run_scratch_path

#: Kedro's default run env, the LOCAL environment of the blueprint.
DEFAULT_ENV = "local"

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": DEFAULT_ENV,
    # feature_store.yml holds the env's Feast settings: infrastructure, kept out of
    # parameters so kedro-mlflow never logs it as MLflow params.
    "config_patterns": {
        "feature_store": ["feature_store*", "feature_store*/**"],
        "mlflow": ["mlflow*", "mlflow*/**"],
        "spark": ["spark*", "spark*/**"],
    },
    # An env's mlflow.yml, spark.yml and parameters*.yml say only what differs from
    # conf/base: they are merged into it key by key.
    "merge_strategy": {"mlflow": "soft", "parameters": "soft", "spark": "soft"},
    # `${oc.env:VAR,default}` in mlflow.yml (the tracking server's address) as well as
    # in credentials.yml. Secrets still belong in credentials.yml only.
    # `${run_scratch:<file>}`: a run's intermediate files, in a directory of its own.
    "custom_resolvers": {"oc.env": oc.env, "run_scratch": run_scratch_path},
}


def config_loader(project_path: Path, env: str) -> OmegaConfigLoader:
    """The project's config loader for ``env``, as ``kedro run --env`` builds it."""
    return OmegaConfigLoader(
        conf_source=str(Path(project_path) / "conf"), env=env, **CONFIG_LOADER_ARGS
    )
