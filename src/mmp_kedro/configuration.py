"""Config-loader settings shared by ``settings.py`` and code that reads ``conf/``
outside a Kedro session (serving, the feature-store CLI, a bare pyfunc load)."""

from pathlib import Path

from kedro.config import OmegaConfigLoader
from omegaconf.resolvers import oc

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # feature_store.yml holds the env's Feast settings: infrastructure, kept out of
    # parameters so kedro-mlflow never logs it as MLflow params.
    "config_patterns": {
        "feature_store": ["feature_store*", "feature_store*/**"],
        "mlflow": [
            "mlflow*",
            "mlflow*/**",
        ],  # kedro-mlflow's; read by PreflightHook too
    },
    # `${oc.env:VAR,default}` in mlflow.yml (the tracking server's address) as well as
    # in credentials.yml. Secrets still belong in credentials.yml only.
    "custom_resolvers": {"oc.env": oc.env},
}


def config_loader(project_path: Path, env: str) -> OmegaConfigLoader:
    """The project's config loader for ``env``, as ``kedro run --env`` builds it."""
    return OmegaConfigLoader(
        conf_source=str(Path(project_path) / "conf"), env=env, **CONFIG_LOADER_ARGS
    )
