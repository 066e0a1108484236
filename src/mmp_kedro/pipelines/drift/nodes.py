"""Drift nodes: a scored window against the training window of the run that scored it."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from mmp_kedro.artifact import contract
from mmp_kedro.monitoring.drift import DriftThresholds, UnmeasuredWindow, WindowTally

log = logging.getLogger(__name__)


def open_window_tally(
    run_id: str, drift_monitoring: DriftThresholds
) -> WindowTally | UnmeasuredWindow:
    """An empty tally of the run's ``drift_reference``, which the scored window is
    counted into (chunk by chunk when it is scored so); an unmeasured window when
    drift monitoring is off or the run was trained without a reference."""
    if not drift_monitoring.enabled:
        return UnmeasuredWindow("disabled")
    if not contract.run_has_file(run_id, contract.DRIFT_REFERENCE):
        log.warning(
            "run %s has no %s: drift not measured", run_id, contract.DRIFT_REFERENCE
        )
        return UnmeasuredWindow("no_reference")
    return WindowTally(contract.read_run_json(run_id, contract.DRIFT_REFERENCE))


def tally_window(
    reference_tally: WindowTally | UnmeasuredWindow,
    scored_features: pd.DataFrame,
    scored_predictions: pd.DataFrame,
) -> WindowTally | UnmeasuredWindow:
    """The whole scored window counted into the reference's bins and categories."""
    reference_tally.add(scored_features, scored_predictions)
    return reference_tally


def report_drift(
    window_tally: WindowTally | UnmeasuredWindow,
    run_id: str,
    drift_monitoring: DriftThresholds,
) -> dict[str, Any]:
    """The window's drift report against the run's ``drift_reference``: a verdict per
    feature, for the prediction and overall, and one log line (a warning when
    something drifted). A window not measured gets a report saying why.
    """
    report = {"run_id": run_id, **window_tally.report(drift_monitoring)}
    if report["verdict"] == "drifted":
        log.warning(
            "drift in %d scored rows against run %s's training window: features %s%s",
            report["rows"],
            run_id,
            report["drifted_features"],
            ", and the prediction" if report["prediction_drifted"] else "",
        )
    elif report["verdict"] == "stable":
        log.info(
            "no drift in %d scored rows against run %s's training window",
            report["rows"],
            run_id,
        )
    return report
