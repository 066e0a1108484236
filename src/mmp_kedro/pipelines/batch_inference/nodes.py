"""Batch-inference nodes: the run's own artifact scores the run's own spine, chunk by
chunk, so that memory holds one chunk whatever the window's size."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pandas as pd

from mmp_kedro.artifact import contract
from mmp_kedro.config.scoring import BatchScoringParams
from mmp_kedro.monitoring.drift import UnmeasuredWindow, WindowTally
from mmp_kedro.recipe.schema import PREDICTION_COLUMNS
from mmp_kedro.services.progress import ChunkProgress
from mmp_kedro.spine import SpineChunks

log = logging.getLogger(__name__)


class BatchChunkError(RuntimeError):
    """A chunk of the window could not be read or scored; nothing was written."""


def predict_batch(
    spine_chunks: SpineChunks,
    run_id: str,
    reference_tally: WindowTally | UnmeasuredWindow,
    batch_scoring: BatchScoringParams,
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame, WindowTally | UnmeasuredWindow]]:
    """Per chunk of the spine: its predictions (spine + prediction columns), its
    intermediates (joined features) and the window's drift tally so far.

    Each chunk runs the wrapped artifact with ``run_mode=batch,
    return_intermediate=True``; the outputs are written chunk by chunk (staged:
    readers see them only once the last chunk is written).

    Raises:
        BatchChunkError: a chunk failed, naming it and its spine rows.
    """
    model = contract.load_model(run_id)
    # The artifact's own task says which columns it added (another task's names may
    # be spine columns here, and "prediction" belongs to two tasks).
    prediction_columns = PREDICTION_COLUMNS[
        contract.fitted_inputs(model).model.task_type
    ]
    predictor = contract.frame_predictor(model)
    total = None if batch_scoring.progress == "off" else spine_chunks.count()
    progress = ChunkProgress("batch inference", total, batch_scoring.progress, log)
    chunks = iter(spine_chunks)
    with progress:
        while True:
            where = f"chunk {progress.chunks + 1} (spine rows from {progress.rows:,})"
            try:
                spine = next(chunks, None)
            except Exception as err:
                if not progress.chunks:
                    raise  # the query itself: its own message says what to fix
                raise BatchChunkError(_failure(where, "reading", err)) from err
            if spine is None:
                break
            try:
                predictions, intermediates = score_chunk(
                    predictor, spine, run_id, prediction_columns
                )
                reference_tally.add(intermediates, predictions)
            except Exception as err:
                raise BatchChunkError(_failure(where, "scoring", err)) from err
            progress.advance(len(spine))
            yield predictions, intermediates, reference_tally
    log.info(
        "batch inference: %d rows in %d chunks with run %s, %.1f s, %.0f rows/s",
        progress.rows,
        progress.chunks,
        run_id,
        progress.seconds,
        progress.rows_per_second,
    )


def _failure(where: str, doing: str, err: Exception) -> str:
    return (
        f"batch inference failed {doing} {where}; no output was written: "
        f"{type(err).__name__}: {err}"
    )


def score_chunk(
    predictor: contract.FramePredictor,
    spine: pd.DataFrame,
    run_id: str,
    prediction_columns: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predictions and intermediates of one spine chunk, each with ``model_run_id``."""
    output = predictor.predict(
        spine, {"run_mode": "batch", "return_intermediate": True}
    )
    spine_columns = [c for c in spine.columns if c in output.columns]
    predictions = output[spine_columns + prediction_columns].assign(model_run_id=run_id)
    intermediates = output.drop(columns=prediction_columns).assign(model_run_id=run_id)
    return predictions, intermediates
