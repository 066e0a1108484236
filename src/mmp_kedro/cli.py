"""Project commands.

``kedro run`` is Kedro's own with two differences: library warnings a user can do
nothing about are not printed, and a failed run ends with its real error in a line or
two, the traceback kept in ``logs/last_run_error.log``. ``--verbose`` (or
``MMP_VERBOSE=1``) prints both.

``kedro mmp new-recipe | validate | list`` write a recipe, check one the way a
training run does before it opens an MLflow run, and list what a recipe can use.
"""

from __future__ import annotations

from pathlib import Path

import click
from kedro.framework.cli.project import run as kedro_run

from mmp_kedro.config.environment import ENV_VARIABLE
from mmp_kedro.config.loader import DEFAULT_ENV
from mmp_kedro.recipe.schema import TASK_METRICS
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


@cli.group(name="mmp")
def mmp() -> None:
    """Recipes: write one, validate one, list what a recipe can use."""


@mmp.command(name="new-recipe")
@click.argument("name")
@click.option(
    "--task", required=True, type=click.Choice(sorted(TASK_METRICS)), help="The task."
)
@click.option(
    "--model",
    "class_path",
    default=None,
    help="The model class (default: the task's; `kedro mmp list models`).",
)
def new_recipe(name: str, task: str, class_path: str | None) -> None:
    """Write recipes/NAME.yaml and its loader SQL, commented and valid as written."""
    from mmp_kedro.recipe import RecipeError
    from mmp_kedro.recipe.scaffold import write_new_recipe

    project = Path.cwd()
    try:
        written = write_new_recipe(project, name, task, class_path)
    except RecipeError as err:
        raise click.ClickException(str(err)) from None
    for path in written:
        click.echo(f"wrote {path.relative_to(project)}")
    click.echo(f"next: kedro mmp validate {name} --data")


@mmp.command(name="validate")
@click.argument("name")
@click.option(
    "--env", "-e", envvar=ENV_VARIABLE, default=DEFAULT_ENV, show_default=True
)
@click.option(
    "--data",
    is_flag=True,
    help="Also run the loader SQL (a few rows) and check its columns and types.",
)
@click.option("--rows", default=100, show_default=True, help="Rows --data reads.")
def validate(name: str, env: str, data: bool, rows: int) -> None:
    """Check recipe NAME in ENV as `kedro run --pipelines train` does before it opens
    an MLflow run; exit 0 with one line when it would start."""
    from mmp_kedro.commands import validate_recipe

    try:
        verdict = validate_recipe(Path.cwd(), name, env, rows if data else 0)
    except Exception as error:  # noqa: BLE001 - every check's own error, in a line
        click.secho(
            failure_summary(error, what=f"recipe '{name}' is not valid in env '{env}'"),
            fg="red",
            err=True,
        )
        raise SystemExit(1) from None
    click.echo(verdict)


@mmp.command(name="list")
@click.argument("what", type=click.Choice(["models", "metrics", "envs", "recipes"]))
def list_(what: str) -> None:
    """The model classes known to work, the task metrics, the envs and what each
    changes, or the project's recipes."""
    from mmp_kedro import commands

    for line in commands.LISTS[what](Path.cwd()):
        click.echo(line)
