"""Third-party warnings a run prints at the default log level that a user can do
nothing about, silenced narrowly: each by its message *and* the module that issues
it, never a whole category. ``kedro run --verbose`` (or ``MMP_VERBOSE=1``) shows
them all again.

What was ours to fix is fixed where it arises instead (datasets implement
``_exists``; the CLI takes ``--pipelines``).
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import sys
import warnings

#: ``warnings`` raised by libraries: (message regex, category, issuing module regex).
WARNINGS: tuple[tuple[str, type[Warning], str], ...] = (
    # Kedro and kedro-mlflow register OmegaConf resolvers with the deprecated call.
    (r"register_new_resolver\(\) is deprecated", UserWarning, r"kedro(_mlflow)?\."),
    # kedro-mlflow's and Kedro's own pydantic models use pydantic-1 idioms.
    (
        r"Support for class-based `config` is deprecated",
        DeprecationWarning,
        r"kedro_mlflow\.config",
    ),
    (
        r"Accessing the 'model_fields' attribute on the instance",
        DeprecationWarning,
        r"kedro\.validation",
    ),
    # MLflow's SQLAlchemy store uses a deprecated loader strategy.
    (
        r"The ``noload`` loader strategy is deprecated",
        DeprecationWarning,
        r"mlflow\.store",
    ),
    # Feast's DuckDB offline store (through ibis) calls a deprecated DuckDB method.
    (
        r"fetch_arrow_table\(\) is deprecated",
        DeprecationWarning,
        r"ibis\.backends\.duckdb",
    ),
    # A library imported through a legacy finder.
    (
        r"the load_module\(\) method is deprecated",
        DeprecationWarning,
        r"importlib\._bootstrap",
    ),
    # Our signature makes the label columns optional and is built from the spine;
    # MLflow's hints are about signatures it infers itself.
    (r"Hint: Inferred schema contains integer column", UserWarning, r"mlflow\.types"),
    (
        r"An input example was not provided when logging the model",
        UserWarning,
        r"mlflow\.pyfunc",
    ),
    # kedro-mlflow's KedroPipelineModel.predict has no type hints (not ours to add).
    (r"Add type hints to the `predict` method", UserWarning, r"mlflow\.pyfunc"),
    # kedro-viz's CLI group subclasses a Click class deprecated in Click 8.2.
    (r"'BaseCommand' is deprecated", DeprecationWarning, r"kedro_viz\.launchers"),
)

#: Log records of libraries: (logger name, message regex).
LOG_RECORDS: tuple[tuple[str, str], ...] = (
    # kedro-mlflow logs a pipeline model as a Python object, as it is meant to.
    ("mlflow.pyfunc", r"^Passing a Python object as `python_model` causes it"),
)

#: Modules whose import warns inside the library's own ``catch_warnings`` (MLflow
#: shows each UserWarning "once" there, whatever the filters say): imported with the
#: warnings recorded, and those not silenced above shown as they would have been.
NOISY_IMPORTS: tuple[str, ...] = ("kedro_mlflow.mlflow.kedro_pipeline_model",)

VERBOSE_VARIABLE = "MMP_VERBOSE"


def verbose_requested() -> bool:
    """``--verbose`` on the command line or ``MMP_VERBOSE`` set to a true value."""
    flag = os.environ.get(VERBOSE_VARIABLE, "").strip().lower()
    return flag in {"1", "true", "yes", "on"} or "--verbose" in sys.argv[1:]


def silence_plugin_import_noise() -> None:
    """Kedro's ``kedro.init`` entry point: runs before Kedro imports its plugins
    (kedro-mlflow, kedro-viz), which warn as they are imported."""
    _install_filters()
    if verbose_requested():
        return
    for module in NOISY_IMPORTS:
        with warnings.catch_warnings(record=True) as caught:
            importlib.import_module(module)
        for warning in caught:
            if not _silenced(warning):
                warnings.showwarning(
                    warning.message, warning.category, warning.filename, warning.lineno
                )


def silence_third_party_noise() -> None:
    """Install the filters for a project session, unless verbose output was asked
    for. Idempotent."""
    # Feast's modules put "once" filters at the front of the list when imported, which
    # would shadow ours: import it first (every run imports it anyway), then put ours
    # back in front.
    import feast  # noqa: F401

    _install_filters()


def _install_filters() -> None:
    if verbose_requested():
        return
    # MLflow's tqdm bars for every artifact a hook or node downloads; a user's own
    # setting wins.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    for message, category, module in WARNINGS:
        # ``module`` is the module a warning is attributed to (its stacklevel's).
        warnings.filterwarnings(
            "ignore", message=f".*{message}", category=category, module=module
        )
    for name, message in LOG_RECORDS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _MessageFilter) for f in logger.filters):
            logger.addFilter(_MessageFilter(message))


def _silenced(warning: warnings.WarningMessage) -> bool:
    text = str(warning.message)
    return any(
        re.search(message, text) and issubclass(warning.category, category)
        for message, category, _ in WARNINGS
    )


class _MessageFilter(logging.Filter):
    def __init__(self, message: str) -> None:
        super().__init__()
        self._message = re.compile(message)

    def filter(self, record: logging.LogRecord) -> bool:
        return not self._message.search(record.getMessage())
