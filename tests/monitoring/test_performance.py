"""Performance monitoring verdicts (pure functions of ``mmp_kedro.monitoring``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from project_helpers import (
    PROJECT_ROOT,
    all_run_ids,
    mlflow_client,
    run_kedro,
    runs_of_recipe,
)

from mmp_kedro.monitoring.performance import (
    AlertThresholds,
    compare,
    monitoring_tags,
    overall_verdict,
    parse_config,
    relative_improvement,
    summary_line,
)

THRESHOLDS = AlertThresholds(improvement_threshold=0.02, degradation_threshold=-0.01)


def test_shipped_config_is_valid() -> None:
    raw = yaml.safe_load(
        (PROJECT_ROOT / "conf/base/parameters_monitoring.yml").read_text()
    )
    config = parse_config(raw["performance_monitoring"], "conf/base")
    assert config.enabled
    assert config.alert_thresholds == THRESHOLDS
    assert config.baseline_for("uplift_model_exp3")["auuc"] > 0


@pytest.mark.parametrize(
    ("value", "reference", "direction", "expected"),
    [
        (0.88, 0.80, "maximize", 0.10),
        (0.72, 0.80, "maximize", -0.10),
        (9.0, 10.0, "minimize", 0.10),  # rmse down 10 %: better
        (11.0, 10.0, "minimize", -0.10),
        (0.05, 0.0, "maximize", 0.05),  # zero reference: absolute difference
    ],
)
def test_relative_improvement_is_signed_by_direction(
    value: float, reference: float, direction: str, expected: float
) -> None:
    assert relative_improvement(value, reference, direction) == pytest.approx(expected)


def test_compare_classifies_with_thresholds_and_skips_other_tasks() -> None:
    metrics = {"roc_auc": 0.85, "accuracy": 0.7, "f1": 0.6, "log_loss": 0.5}
    references = {
        "roc_auc": 0.80,  # +6.25 %: improved
        "accuracy": 0.705,  # -0.7 %: within thresholds
        "log_loss": 0.45,  # up 11 %: worse
        "rmse": 3.0,  # not a metric of this run: skipped
    }
    comparisons = {c.metric: c for c in compare(metrics, references, THRESHOLDS)}
    assert set(comparisons) == {"roc_auc", "accuracy", "log_loss"}
    assert comparisons["roc_auc"].verdict == "improved"
    assert comparisons["accuracy"].verdict == "stable"
    assert comparisons["log_loss"].verdict == "degraded"
    assert overall_verdict(list(comparisons.values())) == "degraded"
    assert overall_verdict([comparisons["roc_auc"], comparisons["accuracy"]]) == (
        "improved"
    )
    assert overall_verdict([]) is None


def test_tags_and_log_line_name_the_metrics_and_the_previous_run() -> None:
    vs_baseline = compare({"rmse": 9.0}, {"rmse": 10.0}, THRESHOLDS)
    vs_previous = compare({"rmse": 9.0}, {"rmse": 9.05}, THRESHOLDS)
    tags = monitoring_tags(vs_baseline, vs_previous, "abc123")
    assert tags["monitoring.vs_baseline"] == "improved"
    assert tags["monitoring.vs_previous_best"] == "stable"
    assert tags["monitoring.previous_best_run_id"] == "abc123"
    assert (
        tags["monitoring.vs_baseline.rmse"]
        == "rmse 9.0000 vs 10.0000 (+10.00%) improved"
    )
    line = summary_line("order_value_regression", vs_baseline, vs_previous, "abc123")
    assert "vs baseline improved" in line and "stable against run abc123" in line

    first = monitoring_tags([], [], None)
    assert first == {
        "monitoring.vs_baseline": "no_baseline",
        "monitoring.vs_previous_best": "no_previous_run",
    }
    assert "first run of this recipe" in summary_line("r", [], [], None)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"baseline_metrics": {"roc_aux": 0.7}}, "roc_aux"),
        (
            {"alert_thresholds": {"improvement_threshold": -0.1}},
            "alert_thresholds.improvement_threshold",
        ),
        (
            {"alert_thresholds": {"degradation_threshold": 0.1}},
            "alert_thresholds.degradation_threshold",
        ),
        ({"baseline_metrics": {"rmse": "low"}}, "baseline_metrics.rmse"),
        ({"alert_threshold": {}}, "alert_threshold"),
    ],
)
def test_bad_config_names_the_source_and_field(raw: dict, field: str) -> None:
    with pytest.raises(ValueError, match="conf/dev") as err:
        parse_config(raw, "conf/dev")
    assert field in str(err.value)
    assert "performance_monitoring" in str(err.value)


def test_missing_config_disables_monitoring() -> None:
    assert not parse_config(None, "conf/base").enabled


@pytest.mark.e2e
def test_training_run_is_compared_with_baseline_and_best_previous_run(
    local_project: Path, trained_runs: dict[str, str]
) -> None:
    recipe = "session_segments"
    client = mlflow_client(local_project)
    first = client.get_run(trained_runs[recipe])
    assert first.data.tags["monitoring.vs_baseline.silhouette"].startswith(
        "silhouette "
    )
    assert first.data.tags["monitoring.vs_baseline"] in {
        "improved",
        "stable",
        "degraded",
    }

    earlier = [
        r for r in runs_of_recipe(local_project, recipe) if r.info.status == "FINISHED"
    ]
    best = max(earlier, key=lambda r: r.data.metrics["silhouette"])

    result = run_kedro(
        local_project, "--pipelines", "train", "--params", f"recipe={recipe}"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    latest = runs_of_recipe(local_project, recipe)[0]
    tags = latest.data.tags
    assert tags["monitoring.previous_best_run_id"] == best.info.run_id
    expected = compare(
        latest.data.metrics,
        {"silhouette": best.data.metrics["silhouette"]},
        THRESHOLDS,
    )[0]
    assert tags["monitoring.vs_previous_best.silhouette"] == expected.describe()
    assert f"against run {best.info.run_id}" in result.stdout + result.stderr


@pytest.mark.e2e
def test_bad_monitoring_config_fails_before_a_run_opens(
    local_project: Path, trained_runs: dict[str, str]
) -> None:
    recipe = "session_segments"
    before = all_run_ids(local_project)
    result = run_kedro(
        local_project,
        "--pipelines",
        "train",
        "--params",
        f"recipe={recipe},performance_monitoring.alert_thresholds.improvement_threshold=-0.5",
    )
    assert result.returncode != 0
    assert (
        "performance_monitoring.alert_thresholds.improvement_threshold" in result.stderr
    )
    assert all_run_ids(local_project) == before  # not even a FAILED run was opened
