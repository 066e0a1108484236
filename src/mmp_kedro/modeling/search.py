"""The Optuna search over a recipe's hyperparameter ranges, leakage-safe.

Each trial scores its parameters on the same cross-validation folds inside the train
split, every fold through :func:`~mmp_kedro.modeling.fitting.fit_pipeline`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
import uuid
from typing import Any

import numpy as np
import optuna
import pandas as pd

from mmp_kedro.config.training import PruningParams, TrainingParams, TuningParams
from mmp_kedro.modeling.fitting import fit_pipeline, score_pipeline
from mmp_kedro.modeling.splits import cv_folds, validation_strategy
from mmp_kedro.recipe.schema import Recipe, SearchRange

log = logging.getLogger(__name__)


def search_distribution(space: SearchRange) -> optuna.distributions.BaseDistribution:
    """The Optuna distribution a recipe range is sampled from.

    Optuna allows a step only on a linear scale: an int range with a step > 1 is
    sampled linearly, a float range with ``log`` ignores its step.
    """
    if space.type == "categorical":
        return optuna.distributions.CategoricalDistribution(space.choices)
    if space.type == "int":
        step = int(space.step) if space.step else 1
        return optuna.distributions.IntDistribution(
            int(space.low), int(space.high), log=space.log and step == 1, step=step
        )
    return optuna.distributions.FloatDistribution(
        space.low, space.high, log=space.log, step=None if space.log else space.step
    )


def suggest(trial: optuna.Trial, name: str, space: SearchRange) -> Any:
    """Sample one hyperparameter from its recipe range."""
    distribution = search_distribution(space)
    if isinstance(distribution, optuna.distributions.CategoricalDistribution):
        return trial.suggest_categorical(name, distribution.choices)
    if isinstance(distribution, optuna.distributions.IntDistribution):
        return trial.suggest_int(
            name,
            distribution.low,
            distribution.high,
            step=distribution.step,
            log=distribution.log,
        )
    return trial.suggest_float(
        name,
        distribution.low,
        distribution.high,
        step=distribution.step,
        log=distribution.log,
    )


def build_pruner(pruning: PruningParams) -> optuna.pruners.BasePruner:
    """The env's pruner, e.g. ``{enabled: true, algorithm: MedianPruner, ...}``."""
    if not pruning.enabled:
        return optuna.pruners.NopPruner()
    return getattr(optuna.pruners, pruning.algorithm)(**pruning.options)


def run_search(
    train_rows: pd.DataFrame,
    recipe: Recipe,
    training: TrainingParams,
    tuning: TuningParams,
    storage: str | None = None,
) -> dict[str, Any]:
    """Optuna search over the recipe's ranges; returns the hyperparameter_optimization record.

    Each trial runs ``training.cv_folds`` leakage-safe fits on the training rows and
    reports the running mean after every fold, so the pruner stops hopeless trials
    early. ``n_trials`` comes from the recipe, ``timeout`` and pruning from the env:
    whichever ends first, the best trial so far wins. With an RDB ``storage`` and
    ``tuning.workers > 1``, that many processes join the same study.
    """
    spec = recipe.hyperparameter_tuning
    metric, direction = recipe.tuning_metric, recipe.tuning_direction
    random_state = training.random_state
    workers = tuning.workers
    if workers > 1 and storage is None:
        log.warning(
            "tuning.workers=%d needs an RDB optuna_storage; using 1 process", workers
        )
        workers = 1
    study_name = tuning.study_name or f"mmp-{uuid.uuid4().hex[:12]}"
    # _log_progress says once what each trial did, a failed one's reason included.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = _create_study(study_name, storage, direction, random_state, tuning)
    search = _Search(train_rows, recipe, training, metric)
    started = time.perf_counter()
    helpers = [
        _WORKER_CONTEXT.Process(
            target=_join_study,
            args=(
                search,
                study_name,
                storage,
                direction,
                random_state + index,
                tuning,
                spec.n_trials,
            ),
            daemon=True,
        )
        for index in range(1, workers)
    ]
    for helper in helpers:
        helper.start()
    study.optimize(
        search.objective,
        n_trials=spec.n_trials,
        timeout=tuning.timeout_seconds,
        n_jobs=tuning.n_jobs,
        catch=TRIAL_ERRORS,
        callbacks=[_stop_at(spec.n_trials), _log_progress(metric, spec.n_trials)],
    )
    for helper in helpers:
        helper.join()
        if helper.exitcode:
            raise RuntimeError(
                f"an Optuna worker process failed (exit code {helper.exitcode})"
            )
    elapsed = time.perf_counter() - started
    trials_run = len(study.get_trials(deepcopy=False))
    if trials_run < spec.n_trials:
        log.warning(
            "tuning.timeout_seconds=%g ended tuning after %d of the recipe's %d "
            "trials (%.0f s): raise it in conf/<env>/parameters_training.yml, or "
            "lower hyperparameter_tuning.n_trials",
            tuning.timeout_seconds,
            trials_run,
            spec.n_trials,
            elapsed,
        )
    return _optimization_record(
        study, recipe, metric, direction, elapsed, len(search.folds), workers
    )


class _Search:
    """The objective, picklable so worker processes can run it too."""

    def __init__(
        self,
        train_rows: pd.DataFrame,
        recipe: Recipe,
        training: TrainingParams,
        metric: str,
    ):
        self.train_rows = train_rows
        self.recipe = recipe
        self.metric = metric
        self.folds = cv_folds(
            train_rows,
            recipe,
            training.cv_folds,
            training.random_state,
            validation_strategy(recipe, training),
        )

    def objective(self, trial: optuna.Trial) -> float:
        recipe = self.recipe
        params = {
            **recipe.model.fixed_hyperparameters,
            **{n: suggest(trial, n, s) for n, s in recipe.model.search_space.items()},
        }
        trial.set_user_attr("worker_pid", os.getpid())
        scores, fit_seconds = [], 0.0
        for step, (fit_index, valid_index) in enumerate(self.folds):
            try:
                fitted = fit_pipeline(self.train_rows.iloc[fit_index], recipe, params)
            except optuna.TrialPruned:
                raise
            except Exception as err:
                # Recorded as a failed trial; the study goes on with the next one.
                trial.set_user_attr("failure", _one_line(err))
                raise
            fit_seconds += fitted.model.fit_seconds
            trial.set_user_attr("fit_seconds", fit_seconds)
            fold_metrics = score_pipeline(
                fitted, self.train_rows.iloc[valid_index], recipe, with_baselines=False
            )
            scores.append(fold_metrics[self.metric])
            trial.report(float(np.mean(scores)), step)
            if trial.should_prune():
                raise optuna.TrialPruned(
                    f"pruned after fold {step + 1}/{len(self.folds)}"
                )
        return float(np.mean(scores))


#: A trial that raises one of these is recorded as failed and the study goes on
#: (a model refusing a hyperparameter value raises its library's own error).
TRIAL_ERRORS = (Exception,)


# fork: a worker starts in milliseconds with the data already in memory; it opens
# its own database connections (Optuna storage) after the fork.
_WORKER_CONTEXT = multiprocessing.get_context("fork")


def _create_study(
    name: str, storage: str | None, direction: str, seed: int, tuning: TuningParams
) -> optuna.Study:
    return optuna.create_study(
        study_name=name,
        storage=storage,
        load_if_exists=True,
        direction=direction,
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=build_pruner(tuning.pruning),
    )


def _join_study(
    search: _Search,
    name: str,
    storage: str,
    direction: str,
    seed: int,
    tuning: TuningParams,
    n_trials: int,
) -> None:
    """A worker process: load the shared study and run trials until it has enough."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = _create_study(name, storage, direction, seed, tuning)
    study.optimize(
        search.objective,
        n_trials=n_trials,
        timeout=tuning.timeout_seconds,
        catch=TRIAL_ERRORS,
        callbacks=[_stop_at(n_trials)],
    )


def _stop_at(n_trials: int) -> optuna.study.MaxTrialsCallback:
    """Stop every process once the study holds ``n_trials`` trials in total."""
    return optuna.study.MaxTrialsCallback(n_trials, states=None)


def _optimization_record(
    study: optuna.Study,
    recipe: Recipe,
    metric: str,
    direction: str,
    elapsed: float,
    n_folds: int,
    workers: int,
) -> dict[str, Any]:
    trials = study.get_trials(deepcopy=False)
    completed = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    failed = [t for t in trials if t.state == optuna.trial.TrialState.FAIL]
    if not completed and failed:
        first = failed[0]
        raise ValueError(
            f"every one of the {len(trials)} tuning trials failed; the first, with "
            f"{first.params}, because the model refused it: "
            f"{first.user_attrs.get('failure', 'unknown error')}. Narrow the "
            f"recipe's model.hyperparameters ranges ({sorted(first.params)}) to "
            "values the model accepts"
        )
    if not completed:
        raise RuntimeError(
            f"tuning finished no trial in {elapsed:.0f}s: raise the env's "
            "tuning.timeout_seconds or narrow the recipe's ranges"
        )
    fixed = recipe.model.fixed_hyperparameters
    return {
        "enabled": True,
        "engine": "optuna",
        "study_name": study.study_name,
        "metric": metric,
        "direction": direction,
        "best_params": {**fixed, **study.best_params},
        "best_score": float(study.best_value),
        "best_trial": study.best_trial.number,
        "total_trials": len(trials),
        "completed_trials": len(completed),
        "pruned_trials": sum(t.state == optuna.trial.TrialState.PRUNED for t in trials),
        "optimization_time": round(elapsed, 3),
        "fit_seconds_total": round(
            sum(t.user_attrs.get("fit_seconds", 0.0) for t in trials), 3
        ),
        "workers": workers,
        "search_space": {
            n: s.model_dump(exclude_none=True)
            for n, s in recipe.model.search_space.items()
        },
        "cv_folds": n_folds,
        "optimization_history": [
            {
                "number": t.number,
                "state": t.state.name,
                # A pruned trial's value is the mean of the folds it finished.
                "value": t.value,
                "folds_completed": len(t.intermediate_values),
                "params": t.params,
                "intermediate_values": {
                    str(k): v for k, v in t.intermediate_values.items()
                },
                "duration_seconds": t.duration.total_seconds() if t.duration else None,
                "worker_pid": t.user_attrs.get("worker_pid"),
                "failure": t.user_attrs.get("failure"),
            }
            for t in trials
        ],
    }


def _one_line(err: BaseException) -> str:
    first = (str(err).strip().splitlines() or [""])[0]
    return f"{type(err).__name__}: {first[:300]}"


def _log_progress(metric: str, n_trials: int):
    def callback(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        try:
            best = f"{study.best_value:.5f}"
        except ValueError:
            best = "n/a"
        if trial.state == optuna.trial.TrialState.FAIL:
            log.warning(
                "trial %d/%d failed with %s: %s",
                trial.number + 1,
                n_trials,
                trial.params,
                trial.user_attrs.get("failure", "unknown error"),
            )
            return
        value = "pruned" if trial.value is None else f"{trial.value:.5f}"
        log.info(
            "trial %d/%d %s: %s=%s (best so far %s)",
            trial.number + 1,
            n_trials,
            trial.state.name.lower(),
            metric,
            value,
            best,
        )

    return callback
