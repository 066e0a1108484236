"""``python -m serving --env dev --run-id <id> [--host 127.0.0.1] [--port 8000]``.

Environment variables stand in for the flags (the container's entrypoint uses them):
``KEDRO_ENV``, ``MMP_RUN_ID``, ``MMP_HOST``, ``MMP_PORT``, ``MMP_PROJECT_PATH``,
``MMP_WORKERS``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import uvicorn

from mmp_kedro.config import environment


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m serving")
    parser.add_argument("--env", default=environment.run_env())
    parser.add_argument("--run-id", default=os.environ.get("MMP_RUN_ID"))
    parser.add_argument("--host", default=os.environ.get("MMP_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=_env_int(parser, "MMP_PORT", 8000))
    parser.add_argument("--project-path", type=Path, default=environment.project_path())
    parser.add_argument(
        "--workers",
        type=int,
        default=_env_int(parser, "MMP_WORKERS", 1),
        help="server processes, each holding the model (more throughput on more "
        "cores, as much more memory)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s"
    )

    from serving.app import (
        ServingRefusedError,
        ServingSettings,
        check_run_servable,
        create_app,
    )

    if not args.run_id:
        parser.error(
            "--run-id (or MMP_RUN_ID) is required: the MLflow run id of a trained model"
        )
    if args.workers < 1:
        parser.error("--workers (or MMP_WORKERS) must be at least 1")
    settings = ServingSettings(
        env=args.env, run_id=args.run_id, project_path=args.project_path.resolve()
    )
    server_options = {
        "host": args.host,
        "port": args.port,
        "log_level": "warning",
        "access_log": False,
    }
    try:
        if args.workers == 1:
            uvicorn.run(create_app(settings), **server_options)
            return
        # Worker processes build their own app from the environment; refuse here
        # first so a LOCAL env or a wrong run id fails once, not in every worker.
        check_run_servable(settings)
    except ServingRefusedError as err:
        print(f"error: {err}", file=sys.stderr)  # noqa: T201
        sys.exit(2)
    os.environ.update(
        {
            environment.ENV_VARIABLE: settings.env,
            "MMP_RUN_ID": settings.run_id,
            environment.PROJECT_PATH_VARIABLE: str(settings.project_path),
        }
    )
    uvicorn.run(
        "serving.app:app_from_environment",
        factory=True,
        workers=args.workers,
        **server_options,
    )


def _env_int(parser: argparse.ArgumentParser, name: str, default: int) -> int:
    """``int(os.environ[name])``, ``default`` when unset; a usage error naming the
    variable when it is not a whole number."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        parser.error(f"{name} must be a whole number, got {value!r}")


if __name__ == "__main__":
    main()
