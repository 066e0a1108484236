"""Unit tests of the run's plots: every figure renders to a readable PNG.

The figure functions of ``mmp_kedro.reporting.plots`` on small synthetic data, and
the ``report`` nodes that feed them (tuning record, test-split evaluation per task).
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

import matplotlib.image
import matplotlib.style
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from mmp_kedro.config.training import TrainingParams, TuningParams
from mmp_kedro.modeling.fitting import fit_pipeline
from mmp_kedro.modeling.search import run_search
from mmp_kedro.modeling.splits import RANDOM_SPLIT, holdout_split
from mmp_kedro.pipelines.report.nodes import (
    collect_plots,
    plot_evaluation,
    plot_tuning,
)
from mmp_kedro.recipe.loader import ResolvedRecipe
from mmp_kedro.recipe.schema import Recipe
from mmp_kedro.reporting import plots
from mmp_kedro.reporting.importances import param_importances

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
N = 400


def png_size(figure: Figure) -> tuple[int, int]:
    """(height, width) of ``figure`` rendered as a PNG, after checking it decodes."""
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    data = buffer.getvalue()
    assert data.startswith(PNG_SIGNATURE)
    image = matplotlib.image.imread(BytesIO(data), format="png")
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    assert np.ptp(image[..., :3]) > 0, "a blank image"
    return image.shape[0], image.shape[1]


def assert_valid_png(figure: Any) -> None:
    assert isinstance(figure, Figure)
    height, width = png_size(figure)
    assert height > 100 and width > 100, (height, width)


RNG = np.random.default_rng(0)
BINARY = RNG.integers(0, 2, N)
BINARY_SCORES = np.clip(0.35 * BINARY + RNG.uniform(0, 0.65, N), 0, 1)
MULTICLASS = RNG.choice(["a", "b", "c"], N)
MULTICLASS_SCORES = RNG.dirichlet([1, 1, 1], N)
ACTUAL = RNG.gamma(2.0, 50.0, N)
PREDICTED = ACTUAL + RNG.normal(0, 15, N)
CURVE = pd.Series(np.r_[0.0, np.cumsum(RNG.normal(0.05, 1.0, N))], index=range(N + 1))
FEATURES = pd.DataFrame(RNG.normal(size=(N, 4)), columns=["a", "b", "c", "d"])
CLUSTERS = RNG.integers(0, 3, N)
HISTORY = pd.DataFrame(
    {
        "number": range(6),
        "state": ["COMPLETE", "COMPLETE", "PRUNED", "COMPLETE", "FAIL", "COMPLETE"],
        "value": [0.6, 0.7, 0.55, 0.65, None, 0.72],
    }
)

FIGURES: dict[str, Callable[[], Figure]] = {
    "optimization_history": lambda: plots.optimization_history(
        HISTORY, "maximize", "roc_auc"
    ),
    "optimization_history_minimize": lambda: plots.optimization_history(
        HISTORY, "minimize", "rmse"
    ),
    "param_importances": lambda: plots.param_importances(
        {"max_depth": 0.7, "learning_rate": 0.3}, "roc_auc"
    ),
    "roc_curve": lambda: plots.roc_curve(BINARY, BINARY_SCORES, [0, 1]),
    "roc_curve_multiclass": lambda: plots.roc_curve(
        MULTICLASS, MULTICLASS_SCORES, ["a", "b", "c"]
    ),
    "precision_recall_curve": lambda: plots.precision_recall_curve(
        BINARY, BINARY_SCORES, [0, 1]
    ),
    "precision_recall_curve_multiclass": lambda: plots.precision_recall_curve(
        MULTICLASS, MULTICLASS_SCORES, ["a", "b", "c"]
    ),
    "confusion_matrix": lambda: plots.confusion_matrix(
        BINARY, (BINARY_SCORES > 0.5).astype(int), [0, 1]
    ),
    "reliability_diagram": lambda: plots.reliability_diagram(
        BINARY, {"before": BINARY_SCORES, "after": BINARY_SCORES**2}, 10
    ),
    "predicted_vs_actual": lambda: plots.predicted_vs_actual(ACTUAL, PREDICTED),
    "residuals": lambda: plots.residuals(ACTUAL, PREDICTED),
    "uplift_curve": lambda: plots.uplift_curve(CURVE),
    "qini_curve": lambda: plots.qini_curve(CURVE),
    "cluster_sizes": lambda: plots.cluster_sizes(CLUSTERS),
    "cluster_projection": lambda: plots.cluster_projection(FEATURES, CLUSTERS),
    "feature_importances": lambda: plots.feature_importances(
        pd.Series(RNG.uniform(size=30), index=[f"f{i}" for i in range(30)]),
        "Feature importances: Model",
        "importance (gain)",
    ),
}


@pytest.mark.parametrize("name", FIGURES)
def test_each_figure_renders_to_a_readable_png(name: str) -> None:
    assert_valid_png(FIGURES[name]())


def test_figures_leave_no_global_state() -> None:
    """No pyplot figure is opened, and rcParams are restored after drawing."""
    import matplotlib
    import matplotlib.pyplot as plt

    before = dict(matplotlib.rcParams)
    open_before = plt.get_fignums()
    for draw in FIGURES.values():
        draw()
    assert plt.get_fignums() == open_before
    assert dict(matplotlib.rcParams) == before


def test_figures_ignore_a_global_style_set_by_another_library() -> None:
    """causalml sets ``fivethirtyeight`` on import: the plots keep the default look."""
    with matplotlib.style.context("fivethirtyeight"):
        figure = plots.roc_curve(BINARY, BINARY_SCORES, [0, 1])
    (ax,) = figure.axes
    assert figure.get_facecolor() == (1.0, 1.0, 1.0, 1.0)
    assert ax.lines[0].get_linewidth() == 1.5


def test_scatter_plots_draw_a_bounded_sample_of_large_inputs() -> None:
    many = np.arange(plots.MAX_POINTS * 3, dtype=float)
    figure = plots.predicted_vs_actual(many, many)
    (points,) = figure.axes[0].collections
    assert len(points.get_offsets()) == plots.MAX_POINTS


def test_feature_importances_show_the_top_features_only() -> None:
    values = pd.Series(np.arange(50.0), index=[f"f{i}" for i in range(50)])
    figure = plots.feature_importances(values)
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert len(labels) == plots.TOP_FEATURES
    assert labels[-1] == "f49"  # the largest on top


# --- the tuning record -----------------------------------------------------------

SEARCH_SPACE = {
    "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": True},
    "max_depth": {"type": "int", "low": 2, "high": 6, "log": False},
    "booster": {"type": "categorical", "choices": ["gbtree", "dart"], "log": False},
}


def trial(number: int, state: str, value: float | None, **params: Any) -> dict:
    return {
        "number": number,
        "state": state,
        "value": value,
        "params": params,
        "intermediate_values": {"0": value} if value is not None else {},
    }


def tuning_record(**changes: Any) -> dict[str, Any]:
    """A hand-made ``hyperparameter_optimization`` record: 3 completed, 1 pruned."""
    return {
        "enabled": True,
        "engine": "optuna",
        "metric": "roc_auc",
        "direction": "maximize",
        "search_space": SEARCH_SPACE,
        "optimization_history": [
            trial(0, "COMPLETE", 0.70, learning_rate=0.05, max_depth=3, booster="dart"),
            trial(
                1, "COMPLETE", 0.78, learning_rate=0.2, max_depth=5, booster="gbtree"
            ),
            trial(2, "PRUNED", 0.60, learning_rate=0.01, max_depth=2, booster="dart"),
            trial(3, "COMPLETE", 0.74, learning_rate=0.1, max_depth=6, booster="dart"),
        ],
        **changes,
    }


def test_plot_tuning_draws_history_and_importances() -> None:
    figures = plot_tuning(tuning_record())
    assert set(figures) == {"optimization_history", "param_importances"}
    for figure in figures.values():
        assert_valid_png(figure)


def test_param_importances_are_deterministic_and_cover_the_search_space() -> None:
    first = param_importances(tuning_record())
    assert set(first) == set(SEARCH_SPACE)
    assert sum(first.values()) == pytest.approx(1.0)
    assert param_importances(tuning_record()) == first


def test_plot_tuning_is_empty_when_tuning_was_disabled() -> None:
    record = {"enabled": False, "engine": None, "best_params": {"max_depth": 3}}
    assert plot_tuning(record) == {}


def test_plot_tuning_skips_importances_without_two_completed_trials() -> None:
    history = tuning_record()["optimization_history"]
    one_completed = [history[0], history[2]]
    figures = plot_tuning(tuning_record(optimization_history=one_completed))
    assert set(figures) == {"optimization_history"}
    flat = [dict(t, value=0.5) for t in history]  # fANOVA is undefined: no variance
    assert param_importances(tuning_record(optimization_history=flat)) == {}


def test_plot_tuning_reads_a_real_search_record() -> None:
    """The record ``run_search`` writes replays into a study (int step, log, choices)."""
    recipe = make_recipe(
        "classification",
        "sklearn.linear_model.LogisticRegression",
        {
            "C": {"type": "float", "low": 0.01, "high": 10.0, "log": True},
            "max_iter": {"type": "int", "low": 100, "high": 300, "step": 100},
            "fit_intercept": {"type": "categorical", "choices": [True, False]},
        },
        n_trials=4,
    )
    record = run_search(
        make_frame("classification"),
        recipe,
        TrainingParams(
            test_ratio=0.25, cv_folds=2, random_state=0, validation=RANDOM_SPLIT
        ),
        TuningParams(
            engine="optuna",
            timeout_seconds=None,
            n_jobs=1,
            workers=1,
            study_name=None,
            pruning={"enabled": False, "algorithm": "MedianPruner"},
        ),
    )
    figures = plot_tuning(record)
    assert set(figures) == {"optimization_history", "param_importances"}


# --- the test-split evaluation per task --------------------------------------------

MODELS = {
    "classification": "xgboost.XGBClassifier",
    "regression": "lightgbm.LGBMRegressor",
    "causal": "causalml.inference.meta.XGBTRegressor",
    "clustering": "sklearn.cluster.KMeans",
}
HYPERPARAMETERS = {
    "classification": {"n_estimators": 10, "max_depth": 2, "n_jobs": 1},
    "regression": {"n_estimators": 10, "n_jobs": 1, "verbose": -1},
    "causal": {"n_estimators": 10, "max_depth": 2, "n_jobs": 1},
    "clustering": {"n_clusters": 3, "n_init": 1, "random_state": 0},
}
EXPECTED_PLOTS = {
    "classification": {
        "roc_curve",
        "precision_recall_curve",
        "reliability_diagram",
        "confusion_matrix",
        "feature_importances",
    },
    "regression": {"predicted_vs_actual", "residuals", "feature_importances"},
    "causal": {"uplift_curve", "qini_curve", "feature_importances"},
    "clustering": {"cluster_sizes", "cluster_projection"},
}


def make_recipe(
    task: str,
    class_path: str,
    hyperparameters: dict[str, Any],
    n_trials: int | None = None,
) -> Recipe:
    labels = {
        "classification": {"target_col": "label"},
        "regression": {"target_col": "amount"},
        "causal": {
            "target_col": "label",
            "treatment_col": "group",
            "treatment_value": "treatment",
        },
        "clustering": {},
    }[task]
    return Recipe.model_validate(
        {
            "model": {"class_path": class_path, "hyperparameters": hyperparameters},
            "hyperparameter_tuning": (
                {"enabled": True, "n_trials": n_trials}
                if n_trials
                else {"enabled": False}
            ),
            "loader": {"source_uri": "recipes/sql/loaders/synthetic.sql"},
            "augmenter": {"type": "pass_through"},
            "preprocessor": {
                "name": "simple_scaler",
                "params": {"exclude_cols": ["row_id"]},
            },
            "data_interface": {"task_type": task, **labels},
        }
    )


def make_frame(task: str, n: int = 600) -> pd.DataFrame:
    """Synthetic rows with the label columns ``task`` needs."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "row_id": np.arange(n),
            "spend": rng.lognormal(3.0, 1.0, n),
            "visits": rng.poisson(5, n).astype(float),
            "region": rng.choice(["north", "south", "east"], n),
        }
    )
    signal = np.log(frame["spend"]) - 3.0 + 0.3 * (frame["visits"] - 5)
    treated = rng.random(n) < 0.5
    if task == "classification":
        frame["label"] = (rng.random(n) < 1 / (1 + np.exp(-signal))).astype(int)
    elif task == "regression":
        frame["amount"] = 50 + 20 * signal + rng.normal(0, 5, n)
    elif task == "causal":
        uplift = 0.2 * (signal > 0) * treated
        frame["label"] = (rng.random(n) < 0.2 + uplift).astype(int)
        frame["group"] = np.where(treated, "treatment", "control")
    return frame


@pytest.mark.parametrize("task", MODELS)
def test_plot_evaluation_draws_the_task_plots(task: str) -> None:
    recipe = make_recipe(task, MODELS[task], HYPERPARAMETERS[task])
    train, test = holdout_split(make_frame(task), recipe, 0.3, random_state=0)
    fitted = fit_pipeline(train, recipe, HYPERPARAMETERS[task])
    resolved = ResolvedRecipe(
        name=f"synthetic_{task}",
        path="recipes/synthetic.yaml",
        spec=recipe,
        yaml_text="",
        loader_sql="",
        spine_columns=(),
    )

    figures = plot_evaluation(test, resolved, fitted.preprocessor, fitted.model)

    assert set(figures) == EXPECTED_PLOTS[task]
    for figure in figures.values():
        assert_valid_png(figure)


def test_collect_plots_names_png_files_and_refuses_clashes() -> None:
    history, roc = Figure(), Figure()
    assert collect_plots({"optimization_history": history}, {"roc_curve": roc}) == {
        "optimization_history.png": history,
        "roc_curve.png": roc,
    }
    assert collect_plots({}, {"roc_curve": roc}) == {"roc_curve.png": roc}
    with pytest.raises(ValueError, match="roc_curve"):
        collect_plots({"roc_curve": history}, {"roc_curve": roc})
