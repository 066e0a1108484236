"""Is this machine ready to run an env? ``python -m mmp_kedro.check --env dev``.

One line per check: the Python version and the packages the installed project
requires, the project's folders and the data files the env reads from ``data/``,
the environment variables the env's conf reads with ``${oc.env:...}`` (set or
missing, never their values), and whether each service the env is configured with
answers. Exit code 0 when every required check passes, 1 otherwise. Nothing here
prints a password or a variable's value.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from kedro.config import MissingConfigException, OmegaConfigLoader
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from mmp_kedro.config import environment
from mmp_kedro.config.loader import CONFIG_LOADER_ARGS
from mmp_kedro.feature_store.config import load_settings, merged_repo_config
from mmp_kedro.services.preflight import (
    ServiceUnavailableError,
    check_mlflow_server,
    check_redis,
    check_sql_engine,
)
from mmp_kedro.services.redaction import redacted_url
from mmp_kedro.spine.loading import parquet_paths

Status = Literal["ok", "missing", "wrong", "down", "warn"]

DISTRIBUTION = "mmp_kedro"
INSTALL_FIX = "run `make install`"
DATA_FIX = "run `make data`"
PROJECT_FIX = "run from the project root or pass --project-path"
#: The conf files (in conf/base and conf/<env>) whose ``${oc.env:...}`` are scanned.
SCANNED_CONF = ("credentials", "mlflow", "catalog", "feature_store", "parameters")
#: ``${oc.env:NAME}`` (required) or ``${oc.env:NAME,default}`` (optional).
ENV_REFERENCE = re.compile(r"\$\{oc\.env:\s*(\w+)\s*(,)?")
#: What an unset required variable resolves to here, so a service can name it.
MISSING_MARKER = re.compile(r"<missing (\w+)>")
SQL_BACKENDS = {
    "postgresql": "PostgreSQL",
    "bigquery": "BigQuery",
    "duckdb": "DuckDB",
    "sqlite": "SQLite",
}
SQL_TIMEOUT = 2  # seconds; libpq's connect_timeout is an integer
HTTP_TIMEOUT = 2.0
REDIS_TIMEOUT = 1.0
STATUS_STYLES = {
    "ok": "green",
    "missing": "red",
    "wrong": "red",
    "down": "red",
    "warn": "yellow",
}


@dataclass(frozen=True)
class CheckResult:
    """One line of the report; ``fix`` says what to do when ``status`` is not ok."""

    name: str
    status: Status
    detail: str
    fix: str = ""
    required: bool = True

    @property
    def passed(self) -> bool:
        """Ok, or not needed to run the env."""
        return self.status == "ok" or not self.required


def env_var_fix(names: Iterable[str]) -> str:
    """How to set variables documented in ``.env.example``."""
    return (
        f"set {', '.join(names)} (see .env.example) and load it with "
        "`set -a; . ./.env; set +a`"
    )


def check_python(requires_python: str | None = None) -> list[CheckResult]:
    """The running Python against ``requires-python`` (default: the installed
    project's)."""
    version = platform.python_version()
    try:
        requires_python = (
            requires_python or metadata.metadata(DISTRIBUTION)["Requires-Python"]
        )
    except metadata.PackageNotFoundError:
        detail = f"{version} (requirement unknown: {DISTRIBUTION} not installed)"
        return [CheckResult("python", "warn", detail, required=False)]
    if SpecifierSet(requires_python).contains(version, prereleases=True):
        return [CheckResult("python", "ok", f"{version} (needs {requires_python})")]
    return [
        CheckResult(
            "python",
            "wrong",
            f"{version}, needs {requires_python}",
            "recreate .venv with Python 3.11: `rm -rf .venv && make install`",
        )
    ]


def check_packages(requirements: Iterable[str] | None = None) -> list[CheckResult]:
    """Each requirement (default: the installed project's ``[project].dependencies``)
    against the installed version. Requirements of an extra (``extra == "dev"``) are
    skipped; a requirement's own extras (``feast[redis]``) are not checked."""
    if requirements is None:
        try:
            requirements = metadata.requires(DISTRIBUTION) or []
        except metadata.PackageNotFoundError:
            return [
                CheckResult(
                    f"package {DISTRIBUTION}", "missing", "not installed", INSTALL_FIX
                )
            ]
    results = []
    for line in requirements:
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        results.append(_check_requirement(requirement))
    return results


def _check_requirement(requirement: Requirement) -> CheckResult:
    name = f"package {requirement.name}"
    wanted = str(requirement.specifier) or "any version"
    try:
        installed = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        return CheckResult(
            name, "missing", f"not installed, needs {wanted}", INSTALL_FIX
        )
    if requirement.specifier.contains(installed, prereleases=True):
        return CheckResult(name, "ok", f"{installed} (needs {wanted})")
    return CheckResult(
        name, "wrong", f"{installed} installed, needs {wanted}", INSTALL_FIX
    )


def check_directories(project_path: Path, env: str) -> list[CheckResult]:
    """The conf and recipe folders, then the data files the env reads from the
    project (LOCAL's sample data and embedded Feast store)."""
    envs = sorted(
        p.name
        for p in (project_path / "conf").glob("*")
        if p.is_dir() and p.name != "base"
    )
    folders = {
        "conf/base": PROJECT_FIX,
        f"conf/{env}": f"use an env with a conf folder: {', '.join(envs) or 'none'}",
        "recipes": PROJECT_FIX,
        "recipes/sql/loaders": PROJECT_FIX,
    }
    results = [_exists(project_path, path, fix) for path, fix in folders.items()]
    if all(result.passed for result in results):
        files = data_files(_loader(project_path, env, os.environ))
        results += [_data_file(project_path, path) for path in files]
    return results


def _exists(project_path: Path, relative: str, fix: str) -> CheckResult:
    path = project_path / relative
    if path.exists():
        return CheckResult(relative, "ok", "present")
    return CheckResult(relative, "missing", f"no {path}", fix)


def _data_file(project_path: Path, relative: str) -> CheckResult:
    """Present, and for a parquet file readable to its footer (a truncated copy is
    not)."""
    result = _exists(project_path, relative, DATA_FIX)
    if not result.passed or not relative.endswith(".parquet"):
        return result
    problem = parquet_problem(project_path / relative)
    if problem:
        return CheckResult(relative, "wrong", problem, DATA_FIX)
    return result


def parquet_problem(path: Path) -> str | None:
    """Why ``path`` is not a whole parquet file (None when it is one)."""
    try:
        metadata = pq.read_metadata(path)
    except (OSError, pa.ArrowException) as err:
        return f"not a whole parquet file ({str(err).splitlines()[0]})"
    return None if metadata.num_columns else "a parquet file without columns"


def data_files(loader: OmegaConfigLoader) -> list[str]:
    """Project files the env reads: parquet files of the catalog's ``parquet_views``
    and ``init_sql``, the file sources of feature views, a file-based Feast registry
    and SQLite online store."""
    entries = [e for e in loader["catalog"].values() if isinstance(e, dict)]
    files = [
        str(path)
        for entry in entries
        for path in (entry.get("parquet_views") or {}).values()
    ]
    files += [
        path
        for entry in entries
        for statement in entry.get("init_sql") or []
        for path in parquet_paths(str(statement))
    ]
    settings, _ = load_settings(loader)
    source = settings.get("source") or {}
    if source.get("type") == "file":
        files += [
            source["path_template"].format(name=view)
            for view in settings.get("feature_views") or {}
        ]
    repo_config = settings.get("repo_config") or {}
    registry = repo_config.get("registry") or {}
    if registry.get("registry_type", "file") == "file" and registry.get("path"):
        files.append(registry["path"])
    online = repo_config.get("online_store") or {}
    if online.get("type") == "sqlite" and online.get("path"):
        files.append(online["path"])
    return list(dict.fromkeys(files))


def scan_env_vars(project_path: Path, env: str) -> dict[str, bool]:
    """Variables the env's conf reads: ``{name: required}``.

    ``${oc.env:NAME}`` is required, ``${oc.env:NAME,default}`` optional (required
    wins when both occur); comment lines are skipped.
    """
    variables: dict[str, bool] = {}
    for path in _scanned_conf_files(project_path, env):
        for line in path.read_text().splitlines():
            if line.lstrip().startswith("#"):
                continue
            for name, comma in ENV_REFERENCE.findall(line):
                variables[name] = variables.get(name, False) or not comma
    return variables


def _scanned_conf_files(project_path: Path, env: str) -> Iterator[Path]:
    for folder in ("base", env):
        for stem in SCANNED_CONF:
            yield from sorted((project_path / "conf" / folder).glob(f"{stem}*.y*ml"))


def check_env_vars(
    project_path: Path, env: str, environ: Mapping[str, str]
) -> list[CheckResult]:
    """Each variable the env's conf reads: set, missing (required) or default used.
    An empty required variable counts as missing. Values are never reported."""
    variables = scan_env_vars(project_path, env)
    if not variables:
        return [CheckResult("env vars", "ok", f"none needed by conf/base, conf/{env}")]
    ordered = sorted(variables.items(), key=lambda item: (not item[1], item[0]))
    return [_env_var(name, required, environ) for name, required in ordered]


def _env_var(name: str, required: bool, environ: Mapping[str, str]) -> CheckResult:
    label = f"env {name}"
    if environ.get(name):
        detail = "set" if required else "set (optional)"
        return CheckResult(label, "ok", detail, required=required)
    if required:
        return CheckResult(label, "missing", "not set, required", env_var_fix([name]))
    detail = "set, empty" if name in environ else "not set, default used"
    return CheckResult(label, "ok", detail, required=False)


def check_services(
    project_path: Path, env: str, environ: Mapping[str, str]
) -> list[CheckResult]:
    """Whether each service the env's config points at answers: SQL databases
    (credentials ``con``/``storage`` URLs and a SQL Feast registry), a Redis online
    store and an HTTP MLflow server. Embedded stores (DuckDB, SQLite, files) are
    reported as such; a service whose variables are missing is skipped."""
    loader = _loader(project_path, env, environ)
    try:
        credentials = loader["credentials"]
    except MissingConfigException:
        credentials = {}
    repo_config = merged_repo_config(*load_settings(loader))
    registry = repo_config.get("registry") or {}
    urls = _sql_urls(credentials, registry)
    results = [_sql_service(url, ", ".join(roles)) for url, roles in urls.items()]
    if registry.get("registry_type", "file") == "file" and registry.get("path"):
        results.append(_embedded("Feast registry", f"file {registry['path']}"))
    results.append(_online_store(repo_config.get("online_store") or {}))
    server = _section(loader, "mlflow").get("server") or {}
    results.append(_mlflow_service(server.get("mlflow_tracking_uri") or ""))
    return results


def _sql_urls(
    credentials: dict[str, Any], registry: dict[str, Any]
) -> dict[str, list[str]]:
    """Each distinct SQL URL and who uses it: credentials ``con``/``storage``, a SQL
    Feast registry."""
    urls: dict[str, list[str]] = {}
    for name, entry in credentials.items():
        for key in ("con", "storage"):
            if isinstance(entry, dict) and isinstance(entry.get(key), str):
                urls.setdefault(entry[key], []).append(name)
    if registry.get("registry_type") == "sql":
        urls.setdefault(registry["path"], []).append("feature_store registry")
    return urls


def _sql_service(url: str, roles: str) -> CheckResult:
    backend = url.partition("://")[0].partition("+")[0]
    name = f"{SQL_BACKENDS.get(backend, backend)} {roles}"
    if skipped := _skipped(name, url):
        return skipped
    if backend in ("duckdb", "sqlite"):
        return _embedded(name, redacted_url(url))
    if backend != "postgresql":
        detail = f"remote, not checked here: {redacted_url(url)}"
        return CheckResult(name, "warn", detail, required=False)
    engine = sa.create_engine(url, connect_args={"connect_timeout": SQL_TIMEOUT})
    try:
        return _probe(
            name,
            f"answers at {redacted_url(url)}",
            lambda: check_sql_engine(engine, roles),
        )
    finally:
        engine.dispose()


def _online_store(online: dict[str, Any]) -> CheckResult:
    kind = online.get("type", "sqlite")
    if kind == "sqlite":
        return _embedded("Feast online store", f"sqlite {online.get('path', '')}")
    if kind != "redis":
        return CheckResult(
            f"Feast online store ({kind})", "warn", "not checked", required=False
        )
    connection_string = online.get("connection_string", "")
    if skipped := _skipped("Redis feature_store online store", connection_string):
        return skipped
    return _probe(
        "Redis feature_store online store",
        "answers PING",
        lambda: check_redis(connection_string, timeout=REDIS_TIMEOUT),
    )


def _mlflow_service(uri: str) -> CheckResult:
    if skipped := _skipped("MLflow tracking server", uri):
        return skipped
    if not uri.startswith(("http://", "https://")):
        return _embedded("MLflow tracking store", redacted_url(uri))
    return _probe(
        "MLflow tracking server",
        f"answers /health at {redacted_url(uri)}",
        lambda: check_mlflow_server(uri, timeout=HTTP_TIMEOUT),
    )


def _probe(name: str, ok_detail: str, check: Callable[[], None]) -> CheckResult:
    try:
        check()
    except ServiceUnavailableError as err:
        return CheckResult(name, "down", err.problem, err.fix)
    return CheckResult(name, "ok", ok_detail)


def _skipped(name: str, value: str) -> CheckResult | None:
    missing = list(dict.fromkeys(MISSING_MARKER.findall(value)))
    if not missing:
        return None
    return CheckResult(
        name,
        "warn",
        f"skipped: missing {', '.join(missing)}",
        env_var_fix(missing),
        required=False,  # the variable's own line fails
    )


def _embedded(name: str, where: str) -> CheckResult:
    return CheckResult(name, "ok", f"embedded: {where}")


def _section(loader: OmegaConfigLoader, key: str) -> dict[str, Any]:
    try:
        return dict(loader[key])
    except MissingConfigException:
        return {}


def _loader(
    project_path: Path, env: str, environ: Mapping[str, str]
) -> OmegaConfigLoader:
    """The project's config loader whose ``oc.env`` reads ``environ`` and never
    fails: an unset required variable resolves to ``<missing NAME>``."""
    no_default = object()

    def env_or_marker(name: str, default: Any = no_default) -> str | None:
        value = environ.get(name)
        if value or (value is not None and default is not no_default):
            return value
        if default is no_default:
            return f"<missing {name}>"
        return None if default is None else str(default)

    return OmegaConfigLoader(
        conf_source=str(project_path / "conf"),
        env=env,
        **{
            **CONFIG_LOADER_ARGS,
            "custom_resolvers": {
                **CONFIG_LOADER_ARGS["custom_resolvers"],
                "oc.env": env_or_marker,
            },
        },
    )


def run_checks(
    project_path: Path, env: str, environ: Mapping[str, str]
) -> list[CheckResult]:
    """Every check, in report order; env vars and services need ``conf/<env>``."""
    results = [
        *check_python(),
        *check_packages(),
        *check_directories(project_path, env),
    ]
    if (project_path / "conf" / env).is_dir():
        results += check_env_vars(project_path, env, environ)
        results += check_services(project_path, env, environ)
    return results


def render(results: list[CheckResult], title: str, console: Console) -> None:
    """The report as a table, then one summary line."""
    table = Table("status", "check", "detail", "fix", title=title, box=box.SIMPLE)
    for result in results:
        table.add_row(
            Text(result.status, style=STATUS_STYLES[result.status]),
            Text(result.name),
            Text(result.detail),
            Text(result.fix),
        )
    console.print(table)
    failed = [result.name for result in results if not result.passed]
    if failed:
        console.print(f"{len(failed)} required check(s) failed: {', '.join(failed)}")
    else:
        console.print("all required checks pass")


def main(argv: list[str] | None = None) -> int:
    """``python -m mmp_kedro.check --env dev``: 0 when ready, 1 otherwise."""
    parser = argparse.ArgumentParser(
        prog="python -m mmp_kedro.check",
        description="Check that this machine can run the project in a Kedro env.",
    )
    parser.add_argument(
        "--env",
        default=environment.run_env(),
        help="local, dev or prod (default: KEDRO_ENV, else local)",
    )
    parser.add_argument(
        "--project-path",
        type=Path,
        default=environment.project_path(),
        help="default: MMP_PROJECT_PATH, else the working directory",
    )
    args = parser.parse_args(argv)
    # Kedro's config loader uses an OmegaConf API that warns; not this user's concern.
    warnings.filterwarnings("ignore", "register_new_resolver", UserWarning)
    project_path = args.project_path.resolve()
    results = run_checks(project_path, args.env, os.environ)
    # Piped or captured output gets one line per check, however long.
    console = Console() if sys.stdout.isatty() else Console(width=1000)
    render(results, f"mmp-kedro check --env {args.env} ({project_path})", console)
    return 0 if all(result.passed for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
