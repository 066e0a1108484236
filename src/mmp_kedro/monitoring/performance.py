"""Performance monitoring: a new run's test metrics against a baseline and history.

The blueprint's ``performance_monitoring`` block (``conf/base/parameters_monitoring.yml``)
holds reference values and two relative thresholds. After each training run the
test metrics are compared with those references and with the best previous run of
the same recipe; ``PerformanceMonitoringHook`` writes the verdicts as MLflow tags and
a log line. Everything here is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mmp_kedro.recipe.schema import TASK_METRICS, Direction

Verdict = Literal["improved", "stable", "degraded"]

#: Every metric some task computes, with the direction in which it improves.
METRIC_DIRECTIONS: dict[str, Direction] = {
    name: direction
    for metrics in TASK_METRICS.values()
    for name, direction in metrics.items()
}

CONF_KEY = "performance_monitoring"


class AlertThresholds(BaseModel):
    """Relative changes (0.02 = 2 %) that count as an improvement or a degradation."""

    model_config = ConfigDict(extra="forbid")

    improvement_threshold: float = Field(0.02, gt=0)
    degradation_threshold: float = Field(-0.01, lt=0)


class MonitoringConfig(BaseModel):
    """The ``performance_monitoring`` parameters."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    baseline_metrics: dict[str, float] = Field(default_factory=dict)
    #: Per-recipe references, overriding ``baseline_metrics`` metric by metric.
    baseline_metrics_by_recipe: dict[str, dict[str, float]] = Field(
        default_factory=dict
    )
    alert_thresholds: AlertThresholds = Field(default_factory=AlertThresholds)

    @model_validator(mode="after")
    def _known_metrics(self) -> MonitoringConfig:
        named = [
            *self.baseline_metrics,
            *(m for values in self.baseline_metrics_by_recipe.values() for m in values),
        ]
        unknown = sorted(set(named) - set(METRIC_DIRECTIONS))
        if unknown:
            raise ValueError(
                f"unknown metric(s) {unknown}; known: {sorted(METRIC_DIRECTIONS)}"
            )
        return self

    def baseline_for(self, recipe: str) -> dict[str, float]:
        return {
            **self.baseline_metrics,
            **self.baseline_metrics_by_recipe.get(recipe, {}),
        }


def parse_config(raw: dict | None, source: str) -> MonitoringConfig:
    """Validated config; errors name ``source`` and the field, like recipe errors."""
    try:
        return MonitoringConfig.model_validate(raw or {"enabled": False})
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        where = f"{CONF_KEY}.{field}" if field else CONF_KEY
        raise ValueError(f"{source}: {where}: {first['msg']}") from None


@dataclass(frozen=True)
class Comparison:
    """One metric against one reference value."""

    metric: str
    value: float
    reference: float
    #: Relative change signed so that positive is better, whatever the direction.
    change: float
    verdict: Verdict

    def describe(self) -> str:
        return (
            f"{self.metric} {self.value:.4f} vs {self.reference:.4f} "
            f"({self.change:+.2%}) {self.verdict}"
        )


def relative_improvement(value: float, reference: float, direction: Direction) -> float:
    """(value - reference) / |reference|, negated for metrics that should go down.

    A zero reference has no relative scale: the absolute difference is used.
    """
    difference = value - reference
    if direction == "minimize":
        difference = -difference
    return difference / abs(reference) if reference else difference


def classify(change: float, thresholds: AlertThresholds) -> Verdict:
    if change >= thresholds.improvement_threshold:
        return "improved"
    if change <= thresholds.degradation_threshold:
        return "degraded"
    return "stable"


def compare(
    metrics: dict[str, float],
    references: dict[str, float],
    thresholds: AlertThresholds,
) -> list[Comparison]:
    """Comparisons for the metrics present in both maps, in ``references`` order."""
    comparisons = []
    for metric, reference in references.items():
        if metric not in metrics or metric not in METRIC_DIRECTIONS:
            continue
        change = relative_improvement(
            metrics[metric], reference, METRIC_DIRECTIONS[metric]
        )
        comparisons.append(
            Comparison(
                metric, metrics[metric], reference, change, classify(change, thresholds)
            )
        )
    return comparisons


def overall_verdict(comparisons: list[Comparison]) -> Verdict | None:
    """Degraded if any metric degraded, else improved if any improved; None if empty."""
    if not comparisons:
        return None
    verdicts = {c.verdict for c in comparisons}
    for verdict in ("degraded", "improved"):
        if verdict in verdicts:
            return verdict  # type: ignore[return-value]
    return "stable"


def monitoring_tags(
    vs_baseline: list[Comparison],
    vs_previous: list[Comparison],
    previous_run_id: str | None,
) -> dict[str, str]:
    """MLflow tags: one verdict per reference and one line per compared metric."""
    tags = {
        "monitoring.vs_baseline": overall_verdict(vs_baseline) or "no_baseline",
        "monitoring.vs_previous_best": overall_verdict(vs_previous)
        or "no_previous_run",
    }
    if previous_run_id:
        tags["monitoring.previous_best_run_id"] = previous_run_id
    for prefix, comparisons in (
        ("vs_baseline", vs_baseline),
        ("vs_previous_best", vs_previous),
    ):
        for comparison in comparisons:
            tags[f"monitoring.{prefix}.{comparison.metric}"] = comparison.describe()
    return tags


def summary_line(
    recipe: str,
    vs_baseline: list[Comparison],
    vs_previous: list[Comparison],
    previous_run_id: str | None,
) -> str:
    """The log line: both verdicts and the metrics behind them."""
    baseline = (
        f"{overall_verdict(vs_baseline)} ({'; '.join(c.describe() for c in vs_baseline)})"
        if vs_baseline
        else "no baseline metric for this task"
    )
    previous = (
        f"{overall_verdict(vs_previous)} against run {previous_run_id} "
        f"({'; '.join(c.describe() for c in vs_previous)})"
        if vs_previous
        else "first run of this recipe in the experiment"
    )
    return f"performance of {recipe}: vs baseline {baseline}; vs best previous run {previous}"
