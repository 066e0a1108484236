"""``python -m serving --env dev --run-id <id> [--host 127.0.0.1] [--port 8000]``,
or ``--model-uri models:/<name>@champion`` instead of ``--run-id``: a registered
version, resolved to its run once at start-up.

Environment variables stand in for the flags (the container's entrypoint uses them):
``KEDRO_ENV``, ``MMP_RUN_ID``, ``MMP_MODEL_URI``, ``MMP_HOST``, ``MMP_PORT``,
``MMP_PROJECT_PATH``, ``MMP_WORKERS``, ``MMP_GRACEFUL_SECONDS``, ``MMP_LOG_LEVEL``,
``MMP_VERBOSE``. A flag wins over the variables.

On SIGTERM the server stops accepting connections, lets the requests in flight
finish (for at most ``--graceful-seconds``) and exits 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from mmp_kedro.runtime.debug_checks import skip_typeguard_instrumentation

# Before anything imports Feast: its debug-time type checks cost seconds of start-up.
skip_typeguard_instrumentation()

import uvicorn  # noqa: E402

from mmp_kedro.config import environment  # noqa: E402
from mmp_kedro.services.third_party_noise import VERBOSE_VARIABLE  # noqa: E402
from serving.observability import (  # noqa: E402
    LOG_LEVEL_VARIABLE,
    configure_logging,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m serving")
    parser.add_argument("--env", default=environment.run_env())
    parser.add_argument("--run-id", help="the MLflow run id of a trained model")
    parser.add_argument(
        "--model-uri",
        help="instead of --run-id: a registered version, models:/<name>@<alias> "
        "(e.g. @champion) or models:/<name>/<version>, resolved once at start-up",
    )
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
    parser.add_argument(
        "--graceful-seconds",
        type=int,
        default=_env_int(parser, "MMP_GRACEFUL_SECONDS", 30),
        help="on SIGTERM, how long requests in flight may take to finish",
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get(LOG_LEVEL_VARIABLE, "info"),
        choices=["debug", "info", "warning", "error"],
        help="the app's log level (one access-log line per request at info); debug "
        "also shows the libraries' warnings",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help=f"show library warnings ({VERBOSE_VARIABLE}=1 does the same)",
    )
    args = parser.parse_args(argv)
    # Set for the worker processes too, which configure their own logging.
    if args.verbose or args.log_level == "debug":
        os.environ[VERBOSE_VARIABLE] = "1"
    os.environ[LOG_LEVEL_VARIABLE] = args.log_level
    configure_logging(args.log_level)

    from serving.app import (
        ServingRefusedError,
        ServingSettings,
        check_run_servable,
        create_app,
        settings_for_model_uri,
    )

    run_id, model_uri = served_model(parser, args.run_id, args.model_uri)
    if args.workers < 1:
        parser.error("--workers (or MMP_WORKERS) must be at least 1")
    if args.graceful_seconds < 0:
        parser.error("--graceful-seconds (or MMP_GRACEFUL_SECONDS) must be 0 or more")
    project_path = args.project_path.resolve()
    server_options = {
        "host": args.host,
        "port": args.port,
        "log_level": "warning",
        "access_log": False,  # serving.access logs each request, with its id
        "timeout_graceful_shutdown": args.graceful_seconds,
    }
    # uvicorn drains on SIGTERM, then re-raises it to the handler it found: this one
    # ends the process with 0 instead of the default "killed by SIGTERM".
    signal.signal(signal.SIGTERM, _exit_after_drain)
    try:
        settings = (
            settings_for_model_uri(args.env, model_uri, project_path)
            if model_uri
            else ServingSettings(env=args.env, run_id=run_id, project_path=project_path)
        )
        if args.workers == 1:
            uvicorn.run(create_app(settings), **server_options)
            return
        # Worker processes build their own app from the environment; refuse here
        # first so a LOCAL env or a wrong run id fails once, not in every worker.
        check_run_servable(settings)
    except ServingRefusedError as err:
        print(f"error: {err}", file=sys.stderr)  # noqa: T201
        sys.exit(2)
    # The workers serve the run resolved here, even if the alias moves meanwhile.
    os.environ.update(
        {
            environment.ENV_VARIABLE: settings.env,
            "MMP_RUN_ID": settings.run_id,
            "MMP_MODEL_URI": settings.model_uri or "",
            environment.PROJECT_PATH_VARIABLE: str(settings.project_path),
        }
    )
    uvicorn.run(
        "serving.app:app_from_environment",
        factory=True,
        workers=args.workers,
        **server_options,
    )


def served_model(
    parser: argparse.ArgumentParser, run_id: str | None, model_uri: str | None
) -> tuple[str | None, str | None]:
    """(run id, model URI), exactly one set: the flags, else ``MMP_RUN_ID`` /
    ``MMP_MODEL_URI``; a usage error when both or neither are given."""
    if not (run_id or model_uri):
        run_id = os.environ.get("MMP_RUN_ID") or None
        model_uri = os.environ.get("MMP_MODEL_URI") or None
        given = "MMP_RUN_ID and MMP_MODEL_URI"
    else:
        given = "--run-id and --model-uri"
    if run_id and model_uri:
        parser.error(f"{given} are both set: pass one, the run or the version to serve")
    if not (run_id or model_uri):
        parser.error(
            "--run-id (or MMP_RUN_ID) is required: the MLflow run id of a trained "
            "model; or --model-uri (MMP_MODEL_URI), a registered version such as "
            "models:/<name>@champion"
        )
    return run_id, model_uri


def _exit_after_drain(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


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
