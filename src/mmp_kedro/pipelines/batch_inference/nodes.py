"""Batch-inference nodes: the run's own artifact scores the run's own spine."""

from __future__ import annotations

import logging

import pandas as pd

from mmp_kedro.artifact import contract
from mmp_kedro.recipe.schema import PREDICTION_COLUMNS

log = logging.getLogger(__name__)


def predict_batch(
    spine: pd.DataFrame, run_id: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predictions (spine + prediction columns) and intermediates (joined features).

    Runs the wrapped artifact with ``run_mode=batch, return_intermediate=True``.
    """
    model = contract.load_model(run_id)
    output = model.predict(
        spine, params={"run_mode": "batch", "return_intermediate": True}
    )
    # The artifact's own task says which columns it added (another task's names may
    # be spine columns here, and "prediction" belongs to two tasks).
    prediction_columns = PREDICTION_COLUMNS[
        contract.fitted_inputs(model).model.task_type
    ]
    spine_columns = [c for c in spine.columns if c in output.columns]
    predictions = output[spine_columns + prediction_columns].assign(model_run_id=run_id)
    intermediates = output.drop(columns=prediction_columns).assign(model_run_id=run_id)
    log.info("batch inference: %d rows predicted with run %s", len(predictions), run_id)
    return predictions, intermediates
