"""Drift nodes: a scored window against the training window of the run that scored it."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from mmp_kedro.artifact import contract
from mmp_kedro.monitoring.drift import DriftThresholds, drift_report

log = logging.getLogger(__name__)


def report_drift(
    scored_features: pd.DataFrame,
    scored_predictions: pd.DataFrame,
    run_id: str,
    drift_monitoring: DriftThresholds,
) -> dict[str, Any]:
    """The window's drift report against the run's ``drift_reference``: a verdict per
    feature, for the prediction and overall, and one log line (a warning when
    something drifted). A run trained without a reference gets a report saying so.
    """
    if not drift_monitoring.enabled:
        return {"run_id": run_id, "verdict": "disabled"}
    if not contract.run_has_file(run_id, contract.DRIFT_REFERENCE):
        log.warning(
            "run %s has no %s: drift not measured", run_id, contract.DRIFT_REFERENCE
        )
        return {"run_id": run_id, "verdict": "no_reference"}
    reference = contract.read_run_json(run_id, contract.DRIFT_REFERENCE)
    column = reference["prediction"]["column"]
    report = drift_report(
        reference, scored_features, scored_predictions[column], drift_monitoring
    )
    if report["verdict"] == "drifted":
        log.warning(
            "drift in %d scored rows against run %s's training window: features %s%s",
            report["rows"],
            run_id,
            report["drifted_features"],
            ", and the prediction" if report["prediction_drifted"] else "",
        )
    else:
        log.info(
            "no drift in %d scored rows against run %s's training window",
            report["rows"],
            run_id,
        )
    return {"run_id": run_id, **report}
