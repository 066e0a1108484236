"""Figures a person would rather look at than read: one function per plot.

Every function takes arrays or DataFrames and returns a new
:class:`matplotlib.figure.Figure` built with the object-oriented API
(``Figure()`` + ``fig.subplots()``), never ``pyplot``: no global figure registry,
no GUI backend, nothing to close. A figure is garbage-collected like any object
once it has been saved.

Every figure is drawn in matplotlib's default style, whatever the global rcParams
say: causalml calls ``plt.style.use("fivethirtyeight")`` when it is imported.

The numbers come from scikit-learn, causalml and Optuna (computed by the caller or
here with their public functions); this module only draws them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec

import matplotlib.style
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sklearn import metrics as skm

#: Size of a one-panel figure in inches (700 x 500 px at the catalog's 100 dpi).
FIGSIZE = (7.0, 5.0)
#: Scatter plots draw at most this many points (a fixed-seed sample): readable, cheap.
MAX_POINTS = 5000
#: Feature-importance bars shown, largest first.
TOP_FEATURES = 20

_P = ParamSpec("_P")

_MODEL = "tab:blue"
_BASELINE = "tab:gray"
_BEST = "tab:orange"


def _default_style(draw: Callable[_P, Figure]) -> Callable[_P, Figure]:
    """Build the figure in matplotlib's default style (rcParams restored after)."""

    @functools.wraps(draw)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Figure:
        with matplotlib.style.context("default"):
            return draw(*args, **kwargs)

    return wrapper


@_default_style
def optimization_history(history: pd.DataFrame, direction: str, metric: str) -> Figure:
    """Each trial's value, the best value so far, and which trials were pruned.

    Args:
        history: one row per trial with columns ``number``, ``state`` (Optuna's
            ``COMPLETE``, ``PRUNED``, ``FAIL``...) and ``value`` (NaN/None when the
            trial has none; a pruned trial's value is the mean of the folds it ran).
        direction: ``maximize`` or ``minimize``: what "best so far" means.
        metric: the tuned metric, for the axis label.
    """
    fig, ax = _figure(f"Optuna optimisation history ({direction} {metric})")
    frame = history.assign(value=pd.to_numeric(history["value"], errors="coerce"))
    frame = frame.sort_values("number")
    complete = frame[(frame["state"] == "COMPLETE") & frame["value"].notna()]
    pruned = frame[(frame["state"] == "PRUNED") & frame["value"].notna()]
    ax.scatter(
        complete["number"], complete["value"], color=_MODEL, label="completed trial"
    )
    if not pruned.empty:
        ax.scatter(
            pruned["number"],
            pruned["value"],
            color=_BASELINE,
            marker="x",
            label="pruned trial (mean of the folds it ran)",
        )
    if not complete.empty:
        values = complete["value"].to_numpy(dtype=float)
        best = (
            np.minimum.accumulate(values)
            if direction == "minimize"
            else np.maximum.accumulate(values)
        )
        ax.step(
            complete["number"],
            best,
            where="post",
            color=_BEST,
            label="best so far",
        )
        best_index = int(
            np.argmin(values) if direction == "minimize" else np.argmax(values)
        )
        ax.scatter(
            [complete["number"].iloc[best_index]],
            [values[best_index]],
            marker="*",
            s=220,
            color=_BEST,
            edgecolor="black",
            zorder=3,
            label=f"best trial #{int(complete['number'].iloc[best_index])}",
        )
    ax.set_xlabel("trial number")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    return fig


@_default_style
def param_importances(importances: Mapping[str, float], metric: str) -> Figure:
    """Horizontal bars: how much of the metric's variance each hyperparameter explains.

    Args:
        importances: hyperparameter -> importance (e.g. Optuna's fANOVA, summing to 1).
        metric: the tuned metric, for the title.
    """
    series = pd.Series(dict(importances), dtype=float).sort_values()
    fig, ax = _figure(f"Hyperparameter importances for {metric} (fANOVA)")
    ax.barh(series.index.astype(str), series.to_numpy(), color=_MODEL)
    for y, value in enumerate(series.to_numpy()):
        ax.annotate(
            f"{value:.2f}",
            (value, y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
        )
    ax.set_xlabel("importance (share of the objective's variance)")
    ax.set_xlim(0, max(1e-9, float(series.max())) * 1.15)
    ax.grid(axis="x", alpha=0.3)
    return fig


@_default_style
def roc_curve(target: Any, scores: np.ndarray, classes: Sequence[Any]) -> Figure:
    """ROC curve with its AUC; one-vs-rest per class when there are more than two.

    Args:
        target: true classes.
        scores: the probability of ``classes[-1]`` (binary, 1-D) or one column of
            probabilities per class in ``classes`` order (multiclass, 2-D).
        classes: the classes the scores refer to, as the estimator orders them.
    """
    fig, ax = _figure("ROC curve (test split)")
    for label, truth, score in _one_vs_rest(target, scores, classes):
        fpr, tpr, _ = skm.roc_curve(truth, score)
        ax.plot(fpr, tpr, label=f"{label} (AUC = {skm.auc(fpr, tpr):.3f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color=_BASELINE, label="random (AUC = 0.5)")
    _unit_square(ax, "false positive rate", "true positive rate", legend="lower right")
    return fig


@_default_style
def precision_recall_curve(
    target: Any, scores: np.ndarray, classes: Sequence[Any]
) -> Figure:
    """Precision-recall curve with its average precision against the prevalence line.

    Args: as :func:`roc_curve`.
    """
    fig, ax = _figure("Precision-recall curve (test split)")
    for label, truth, score in _one_vs_rest(target, scores, classes):
        precision, recall, _ = skm.precision_recall_curve(truth, score)
        average = skm.average_precision_score(truth, score)
        (line,) = ax.plot(recall, precision, label=f"{label} (AP = {average:.3f})")
        prevalence = float(np.mean(truth))
        ax.axhline(
            prevalence,
            linestyle="--",
            color=line.get_color(),
            alpha=0.6,
            label=f"random for {label} (= prevalence {prevalence:.3f})",
        )
    _unit_square(ax, "recall", "precision", legend="best")
    return fig


@_default_style
def reliability_diagram(
    outcome: np.ndarray, probabilities: Mapping[str, np.ndarray], bins: int
) -> Figure:
    """Observed positive rate against mean predicted probability per probability
    bin, for each named set of probabilities (e.g. before and after calibration).

    Args:
        outcome: 1 for the positive class, 0 otherwise.
        probabilities: label -> the positive class's probabilities, row for row.
        bins: equal-width probability bins (those without rows are not drawn).
    """
    from sklearn.calibration import calibration_curve

    fig, ax = _figure("Reliability diagram (test split)")
    ax.plot(
        [0, 1], [0, 1], linestyle="--", color=_BASELINE, label="perfectly calibrated"
    )
    for label, probability in probabilities.items():
        observed, predicted = calibration_curve(outcome, probability, n_bins=bins)
        ax.plot(predicted, observed, marker="o", label=label)
    _unit_square(
        ax, "mean predicted probability", "observed positive rate", legend="upper left"
    )
    return fig


@_default_style
def confusion_matrix(target: Any, predicted: Any, classes: Sequence[Any]) -> Figure:
    """Counts of true (rows) against predicted (columns) classes, with row shares.

    Args:
        target: true classes.
        predicted: predicted classes.
        classes: the classes, in display order.
    """
    labels = list(classes)
    counts = skm.confusion_matrix(target, predicted, labels=labels)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    fig, ax = _figure("Confusion matrix (test split)")
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, label="share of the true class")
    for (row, column), count in np.ndenumerate(counts):
        ax.text(
            column,
            row,
            f"{count}\n{shares[row, column]:.1%}",
            ha="center",
            va="center",
            color="white" if shares[row, column] > 0.5 else "black",
        )
    ticks = range(len(labels))
    ax.set_xticks(ticks, [str(label) for label in labels])
    ax.set_yticks(ticks, [str(label) for label in labels])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    return fig


@_default_style
def predicted_vs_actual(actual: Any, predicted: Any) -> Figure:
    """Predicted against actual values, with the line of perfect predictions."""
    actual_values, predicted_values = _sample(
        np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    )
    fig, ax = _figure("Predicted vs actual (test split)")
    ax.scatter(actual_values, predicted_values, s=8, alpha=0.4, color=_MODEL)
    low = float(np.nanmin([actual_values.min(), predicted_values.min()]))
    high = float(np.nanmax([actual_values.max(), predicted_values.max()]))
    ax.plot([low, high], [low, high], linestyle="--", color=_BASELINE, label="y = x")
    ax.set_xlabel("actual")
    ax.set_ylabel("predicted")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    return fig


@_default_style
def residuals(actual: Any, predicted: Any) -> Figure:
    """Residuals (actual - predicted) against the prediction, and their histogram."""
    actual_values = np.asarray(actual, dtype=float)
    predicted_values = np.asarray(predicted, dtype=float)
    errors = actual_values - predicted_values
    fig = Figure(figsize=(11.0, 4.5), layout="constrained")
    scatter_ax, histogram_ax = fig.subplots(1, 2)
    fig.suptitle("Residuals (test split)")
    shown_predicted, shown_errors = _sample(predicted_values, errors)
    scatter_ax.scatter(shown_predicted, shown_errors, s=8, alpha=0.4, color=_MODEL)
    scatter_ax.axhline(0, linestyle="--", color=_BASELINE)
    scatter_ax.set_xlabel("predicted")
    scatter_ax.set_ylabel("residual (actual - predicted)")
    scatter_ax.grid(alpha=0.3)
    histogram_ax.hist(errors[np.isfinite(errors)], bins=50, color=_MODEL, alpha=0.8)
    histogram_ax.axvline(0, linestyle="--", color=_BASELINE)
    histogram_ax.set_xlabel("residual (actual - predicted)")
    histogram_ax.set_ylabel("rows")
    histogram_ax.grid(alpha=0.3)
    return fig


@_default_style
def uplift_curve(cumulative_gain: pd.Series) -> Figure:
    """Cumulative gain of targeting by the model's uplift score, against random.

    Args:
        cumulative_gain: causalml's ``get_cumgain`` column of the model: index = rows
            targeted (0..n, highest scores first), value = incremental outcome.
    """
    return _curve_against_random(
        cumulative_gain,
        title="Uplift (cumulative gain) curve (test split)",
        ylabel="cumulative incremental outcome",
    )


@_default_style
def qini_curve(qini: pd.Series) -> Figure:
    """Qini curve of targeting by the model's uplift score, against random.

    Args:
        qini: causalml's ``get_qini`` column of the model (index = rows targeted).
    """
    return _curve_against_random(
        qini,
        title="Qini curve (test split)",
        ylabel="Qini: incremental treated outcome",
    )


@_default_style
def cluster_sizes(clusters: Any) -> Figure:
    """Rows per cluster."""
    counts = pd.Series(np.asarray(clusters)).value_counts().sort_index()
    fig, ax = _figure("Cluster sizes (test split)")
    bars = ax.bar([str(c) for c in counts.index], counts.to_numpy(), color=_MODEL)
    ax.bar_label(bars, labels=[f"{n} ({n / counts.sum():.0%})" for n in counts])
    ax.set_xlabel("cluster")
    ax.set_ylabel("rows")
    ax.grid(axis="y", alpha=0.3)
    return fig


@_default_style
def cluster_projection(features: pd.DataFrame, clusters: Any) -> Figure:
    """The rows on their first two principal components, coloured by cluster."""
    from sklearn.decomposition import PCA

    values = np.nan_to_num(np.asarray(features, dtype=float))
    labels = np.asarray(clusters)
    fig, ax = _figure("Clusters on the first two principal components (test split)")
    components = min(2, values.shape[1], values.shape[0])
    pca = PCA(n_components=components, random_state=0).fit(values)
    projected = pca.transform(values)
    if components == 1:
        projected = np.column_stack([projected[:, 0], np.zeros(len(projected))])
    shown, shown_labels = _sample(projected, labels)
    for index, cluster in enumerate(np.unique(labels)):
        member = shown_labels == cluster
        ax.scatter(
            shown[member, 0],
            shown[member, 1],
            s=8,
            alpha=0.5,
            color=f"C{index % 10}",
            label=f"cluster {cluster}",
        )
    explained = list(pca.explained_variance_ratio_) + [0.0]
    ax.set_xlabel(f"PC1 ({explained[0]:.0%} of variance)")
    ax.set_ylabel(f"PC2 ({explained[1]:.0%} of variance)")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", markerscale=2)
    return fig


@_default_style
def feature_importances(
    importances: pd.Series,
    title: str = "Feature importances",
    xlabel: str = "importance",
) -> Figure:
    """The :data:`TOP_FEATURES` largest importances (by absolute value), largest on top.

    Args:
        importances: feature name -> importance.
        title: figure title (e.g. which model's importances these are).
        xlabel: what the numbers are (gain, split count, |coefficient|...).
    """
    values = importances.astype(float)
    top = values.loc[values.abs().sort_values(ascending=False).index[:TOP_FEATURES]]
    top = top.iloc[::-1]
    fig = Figure(
        figsize=(FIGSIZE[0], max(FIGSIZE[1], 0.3 * len(top) + 1.5)),
        layout="constrained",
    )
    ax = fig.subplots()
    ax.set_title(title)
    ax.barh(top.index.astype(str), top.to_numpy(), color=_MODEL)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    if len(values) > len(top):
        ax.text(
            1.0,
            -0.08,
            f"top {len(top)} of {len(values)} features",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize="small",
        )
    return fig


def _figure(title: str) -> tuple[Figure, Axes]:
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.subplots()
    ax.set_title(title)
    return fig, ax


def _unit_square(ax: Axes, xlabel: str, ylabel: str, legend: str) -> None:
    """Axes of rates or probabilities: both from 0 to 1, a light grid, a legend."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc=legend)


def _one_vs_rest(
    target: Any, scores: np.ndarray, classes: Sequence[Any]
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(label, is-this-class, score) per curve to draw; classes absent are skipped."""
    truth = np.asarray(target)
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 1:
        positive = list(classes)[-1]
        pairs = [(f"class {positive}", truth == positive, scores)]
    else:
        pairs = [
            (f"class {cls} vs rest", truth == cls, scores[:, index])
            for index, cls in enumerate(classes)
        ]
    return [
        (label, hits.astype(int), score)
        for label, hits, score in pairs
        if 0 < hits.sum() < len(hits)  # a curve needs both positives and negatives
    ]


def _curve_against_random(curve: pd.Series, title: str, ylabel: str) -> Figure:
    """A gain-type curve over the share of rows targeted, and the straight random line.

    Targeting a random share ``p`` of the rows gains ``p`` times the total effect in
    expectation: the diagonal from 0 to the curve's end point.
    """
    values = curve.to_numpy(dtype=float)
    rows = np.asarray(curve.index, dtype=float)
    share = rows / rows.max() if rows.max() > 0 else rows
    random_line = share * values[-1]
    fig, ax = _figure(title)
    ax.plot(share, values, color=_MODEL, label="model (highest uplift first)")
    ax.plot(
        share, random_line, linestyle="--", color=_BASELINE, label="random targeting"
    )
    ax.fill_between(share, random_line, values, color=_MODEL, alpha=0.12)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("share of rows targeted")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    return fig


def _sample(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """The same fixed-seed rows of every array, at most :data:`MAX_POINTS` of them."""
    size = len(arrays[0])
    if size <= MAX_POINTS:
        return arrays
    keep = np.sort(np.random.default_rng(0).choice(size, MAX_POINTS, replace=False))
    return tuple(array[keep] for array in arrays)
