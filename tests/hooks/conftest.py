"""Real ``KedroContext``s of a LOCAL project copy, for calling one hook at a time.

The context is built the way ``KedroSession.load_context`` builds it, but with an
empty hook manager: no project hook runs except the one a test calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kedro.config import OmegaConfigLoader
from kedro.framework.context import KedroContext
from kedro.framework.hooks import _create_hook_manager
from kedro.framework.startup import bootstrap_project

from mmp_kedro.config.loader import CONFIG_LOADER_ARGS
from mmp_kedro.feature_store import unbind_feature_store

ContextFactory = Callable[..., KedroContext]


@pytest.fixture
def kedro_context(local_project: Path) -> Iterator[ContextFactory]:
    """``kedro_context(env="local", **runtime_params)``: a context of the LOCAL copy."""
    bootstrap_project(local_project)

    def build(env: str = "local", **runtime_params: Any) -> KedroContext:
        loader = OmegaConfigLoader(
            conf_source=str(local_project / "conf"),
            env=env,
            runtime_params=runtime_params,
            **CONFIG_LOADER_ARGS,
        )
        return KedroContext(
            package_name="mmp_kedro",
            project_path=local_project,
            config_loader=loader,
            env=env,
            runtime_params=runtime_params,
            hook_manager=_create_hook_manager(),
        )

    yield build
    unbind_feature_store()
