"""Ends a training run's output with what a user needs next: the run and its
results, and the commands that use it, the run id filled in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mlflow
from kedro.framework.hooks import hook_impl
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline
from mlflow.entities import Run
from rich.console import Console

from mmp_kedro.artifact.contract import model_uri
from mmp_kedro.config.loader import DEFAULT_ENV
from mmp_kedro.recipe import ResolvedRecipe
from mmp_kedro.recipe.schema import TASK_METRICS


def summary_text(
    recipe: ResolvedRecipe, run: Run, env: str, versions: Sequence[Any] = ()
) -> str:
    """The end-of-run summary of ``run``, trained from ``recipe`` in ``env``, with
    the registered model ``versions`` of the run and their aliases."""
    run_id = run.info.run_id
    task = recipe.spec.data_interface.task_type
    metrics = run.data.metrics
    shown = [
        f"{name} {metrics[name]:.4f}" for name in TASK_METRICS[task] if name in metrics
    ]
    env_option = "" if env == DEFAULT_ENV else f" --env {env}"
    rows = [
        ("recipe", f"{recipe.name} ({task})"),
        ("run name", run.info.run_name or ""),
        ("run id", run_id),
        ("status", run.info.status),
        ("test metrics", ", ".join(shown) or "none logged"),
        ("artifact", model_uri(run_id)),
        *(
            (
                "registered",
                f"models:/{v.name}/{v.version}"
                + (f" (@{', @'.join(sorted(v.aliases))})" if v.aliases else ""),
            )
            for v in versions
        ),
    ]
    commands = [
        f"kedro run{env_option} --pipelines batch_inference --params run_id={run_id}",
        f"kedro run{env_option} --pipelines evaluate "
        f"--params run_id={run_id},start_date=<YYYY-MM-DD>,end_date=<YYYY-MM-DD>",
        f"python -m serving{env_option} --run-id {run_id} --port 8000",
    ]
    width = max(len(label) for label, _ in rows)
    lines = ["Training run summary", *(f"  {k:<{width}}  {v}" for k, v in rows)]
    lines += ["  next:", *(f"    {command}" for command in commands)]
    return "\n".join(lines)


class RunSummaryHook:
    """Prints the summary once kedro-mlflow has logged the model and ended the run
    (``trylast``), so its status is the run's final one."""

    def __init__(self) -> None:
        self._run_id: str | None = None
        self._env = DEFAULT_ENV

    @hook_impl(trylast=True)  # after kedro-mlflow opened the run
    def before_pipeline_run(self, run_params: dict, pipeline: Pipeline) -> None:
        active = mlflow.active_run()
        training = active is not None and "recipe" in pipeline.inputs()
        self._run_id = active.info.run_id if training else None
        self._env = run_params.get("env") or DEFAULT_ENV

    @hook_impl(trylast=True)  # after kedro-mlflow ended the run
    def after_pipeline_run(self, catalog: DataCatalog) -> None:
        if self._run_id is None:
            return
        client = mlflow.MlflowClient()
        run = client.get_run(self._run_id)
        # Registered by ModelRegistryHook, which runs just before this hook.
        versions = [
            # A search leaves the aliases out: each version is read for them.
            client.get_model_version(v.name, v.version)
            for v in client.search_model_versions(f"run_id = '{self._run_id}'")
        ]
        recipe: ResolvedRecipe = catalog.load("recipe")
        Console(soft_wrap=True).print(
            summary_text(recipe, run, self._env, versions),
            markup=False,
            highlight=False,
        )
