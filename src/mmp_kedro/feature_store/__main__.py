"""``python -m mmp_kedro.feature_store apply --env local [--materialize]``.

Registers the entities and feature views of ``conf/base/feature_store.yml`` in the
env's Feast registry and, with ``--materialize``, loads the online store over the
whole history window of ``materialize:`` (not ``materialize_incremental``, which
would only load ``now - ttl``).
"""

from __future__ import annotations

import argparse
import logging
from datetime import datetime
from pathlib import Path

from mmp_kedro.config import environment
from mmp_kedro.config.loader import config_loader
from mmp_kedro.feature_store.config import load_settings
from mmp_kedro.feature_store.store import build_definitions, build_feature_store
from mmp_kedro.services.third_party_noise import silence_third_party_noise

log = logging.getLogger("mmp_kedro.feature_store")


def apply(project_path: Path, env: str, materialize: bool) -> None:
    """Apply the definitions (and optionally materialise) for ``env``."""
    settings, credentials = load_settings(config_loader(project_path, env))
    store = build_feature_store(settings, credentials, project_path)
    definitions = build_definitions(settings, project_path)
    store.apply(definitions)
    log.info("applied %d Feast objects to env '%s'", len(definitions), env)
    if materialize:
        window = settings.get("materialize") or {}
        start = datetime.fromisoformat(
            str(window.get("start", "2024-01-01T00:00:00+00:00"))
        )
        end = datetime.fromisoformat(
            str(window.get("end", "2025-08-01T00:00:00+00:00"))
        )
        store.materialize(start_date=start, end_date=end)
        log.info("materialised the online store from %s to %s", start, end)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mmp_kedro.feature_store")
    parser.add_argument("command", choices=["apply"])
    parser.add_argument("--env", default=environment.run_env())
    parser.add_argument("--project-path", type=Path, default=environment.project_path())
    parser.add_argument("--materialize", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("feast").setLevel(logging.WARNING)  # as in conf/logging.yml
    silence_third_party_noise()
    apply(args.project_path.resolve(), args.env, args.materialize)


if __name__ == "__main__":
    main()
