"""Project commands. ``kedro run`` is Kedro's own with two differences: library
warnings a user can do nothing about are not printed, and a failed run ends with its
real error in a line or two, the traceback kept in ``logs/last_run_error.log``.
``--verbose`` (or ``MMP_VERBOSE=1``) prints both."""

from __future__ import annotations

from pathlib import Path

import click
from kedro.framework.cli.project import run as kedro_run

from mmp_kedro.services.run_failure import failure_summary, write_traceback
from mmp_kedro.services.third_party_noise import (
    VERBOSE_VARIABLE,
    silence_third_party_noise,
)

# At import: Kedro loads this module before the libraries it warns about are imported.
silence_third_party_noise()

#: Where a failed run's whole traceback goes, relative to the project.
TRACEBACK_FILE = Path("logs") / "last_run_error.log"

VERBOSE_OPTION = click.Option(
    ["--verbose"],
    is_flag=True,
    envvar=VERBOSE_VARIABLE,
    help="Print library warnings, and a failed run's whole traceback instead of its "
    "one-line summary.",
)


@click.group(name="mmp-kedro")
def cli() -> None:
    """mmp-kedro's project commands."""


@cli.command(
    name="run",
    params=[*kedro_run.params, VERBOSE_OPTION],
    help=kedro_run.help,
    context_settings=kedro_run.context_settings,
)
def run(verbose: bool, **kedro_run_args) -> None:
    try:
        kedro_run.callback(**kedro_run_args)
    except Exception as error:
        if verbose:
            raise
        saved = write_traceback(error, Path.cwd() / TRACEBACK_FILE)
        click.secho(failure_summary(error), fg="red", err=True)
        click.echo(
            f"(the traceback is in {saved}; `kedro run --verbose ...` prints it)",
            err=True,
        )
        raise SystemExit(1) from None
