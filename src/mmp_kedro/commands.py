"""What ``kedro mmp validate`` and ``kedro mmp list`` do (``cli.py`` holds the
commands and imports this when one runs, so that ``kedro --help`` stays fast)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from kedro.framework.project import pipelines
from kedro.framework.session import KedroSession

from mmp_kedro.config.loader import DEFAULT_ENV
from mmp_kedro.feature_store import entity_join_keys
from mmp_kedro.feature_store.augmenter import feature_store_disabled
from mmp_kedro.hooks import PerformanceMonitoringHook, RecipeHook
from mmp_kedro.modeling.training_data import check_spine_sample
from mmp_kedro.recipe import ResolvedRecipe
from mmp_kedro.recipe.scaffold import known_models
from mmp_kedro.recipe.schema import DEFAULT_TUNING_METRIC, TASK_METRICS
from mmp_kedro.spine import as_subquery, run_loader_sql


def validate_recipe(project_path: Path, name: str, env: str, rows: int) -> str:
    """One line saying recipe ``name`` would start a training run in ``env``; with
    ``rows``, its loader SQL's first rows checked too.

    Raises:
        Exception: the first check's own error, as `kedro run` would raise it.
    """
    _quiet_session_logs()
    with KedroSession.create(
        project_path=project_path, env=env, runtime_params={"recipe": name}
    ) as session:
        return _checks_before_a_training_run(session, env, rows)


def _checks_before_a_training_run(session: KedroSession, env: str, rows: int) -> str:
    # The after_context_created hooks (credentials, MLflow server, feature store)
    context = session.load_context()
    # As `session.run` does: validate the train pipeline's parameters only.
    context._pipelines_to_validate = ["train"]
    catalog = context.catalog
    train = pipelines["train"]
    # The hooks that run before kedro-mlflow opens the run, in settings.HOOKS order.
    RecipeHook().before_pipeline_run(pipeline=train, catalog=catalog)
    PerformanceMonitoringHook().before_pipeline_run(
        run_params={"env": env}, pipeline=train, catalog=catalog
    )
    recipe: ResolvedRecipe = catalog.load("recipe")
    spec = recipe.spec
    tuning = spec.hyperparameter_tuning
    verdict = (
        f"{recipe.path} is valid in env '{env}': {spec.model.class_path}, "
        f"{spec.data_interface.task_type}, "
        + (
            f"tuning {tuning.n_trials} trials of {spec.tuning_metric}"
            if tuning.enabled
            else "no tuning"
        )
    )
    if rows:
        spine = _spine_sample(recipe, catalog, rows)
        verdict += (
            f"; its loader SQL returned {len(spine)} rows (of at most {rows}) with "
            f"the columns and types the run needs"
        )
    return verdict


def _spine_sample(recipe: ResolvedRecipe, catalog: Any, rows: int) -> Any:
    source = recipe.spec.loader.source_uri
    sample = run_loader_sql(
        catalog.load("spine_loader"),
        f"SELECT * FROM {as_subquery(recipe.loader_sql, 'validate_sample')} "
        f"LIMIT {int(rows)}",
        catalog.load("parameters"),
        source,
    )
    augmenter = recipe.spec.augmenter
    uses_store = augmenter.type == "feature_store" and not feature_store_disabled(
        catalog.load("params:feature_store")
    )
    namespaces = tuple(ref.feature_namespace for ref in augmenter.features)
    join_keys = entity_join_keys(namespaces) if uses_store else ()
    check_spine_sample(sample, recipe.spec, join_keys, recipe.path)
    return sample


def _quiet_session_logs() -> None:
    # One line is the answer: the session's INFO lines would bury it.
    for name in ("kedro", "kedro_mlflow", "mmp_kedro", "mlflow"):
        logging.getLogger(name).setLevel(logging.WARNING)


def model_lines(project: Path) -> Iterator[str]:
    models = known_models()
    width = max(len(m.class_path) for m in models)
    yield f"{'model class':<{width}}  task   (fitted by tests/recipe/test_scaffold.py)"
    for model in models:
        yield f"{model.class_path:<{width}}  {model.task}"


def metric_lines(project: Path) -> Iterator[str]:
    for task, metrics in TASK_METRICS.items():
        listed = ", ".join(
            f"{name} ({direction}{', default' if name == DEFAULT_TUNING_METRIC[task] else ''})"
            for name, direction in metrics.items()
        )
        yield f"{task}: {listed}"


def env_lines(project: Path) -> Iterator[str]:
    conf = project / "conf"
    envs = sorted(p for p in conf.iterdir() if p.is_dir() and p.name != "base")
    yield f"base: {_conf_keys(conf / 'base')}"
    for env in envs:
        default = " (default)" if env.name == DEFAULT_ENV else ""
        yield f"{env.name}{default}: overrides {_conf_keys(env)}"


def _conf_keys(folder: Path) -> str:
    """Each YAML file of ``folder`` with its top-level keys."""
    parts = []
    for path in sorted(folder.glob("*.yml")):
        content = yaml.safe_load(path.read_text()) or {}
        keys = ", ".join(content) if isinstance(content, dict) else ""
        parts.append(f"{path.name} [{keys}]")
    return "; ".join(parts) or "nothing"


def recipe_lines(project: Path) -> Iterator[str]:
    for path in sorted((project / "recipes").glob("*.yaml")):
        try:
            raw = yaml.safe_load(path.read_text()) or {}
            task = raw["data_interface"]["task_type"]
            model = raw["model"]["class_path"]
        except (yaml.YAMLError, KeyError, TypeError) as err:
            yield f"{path.stem}: unreadable ({type(err).__name__}); run `kedro mmp validate {path.stem}`"
            continue
        yield f"{path.stem}: {task}, {model}"


#: ``kedro mmp list <what>``
LISTS: dict[str, Callable[[Path], Iterator[str]]] = {
    "models": model_lines,
    "metrics": metric_lines,
    "envs": env_lines,
    "recipes": recipe_lines,
}
