"""`kedro run --env dev --pipelines batch_inference` on the DEV stack, end to end.

The run id is the only link to training: the loader SQL snapshot and the model come
from the DEV MLflow server, the spine from PostgreSQL, the features from Feast's
PostgreSQL offline store, and the outputs are written to PostgreSQL tables.
"""

from __future__ import annotations

from collections.abc import Callable
from subprocess import CompletedProcess
from typing import Any

import pytest
import sqlalchemy as sa
from project_helpers import SAMPLE_FEATURES

pytestmark = pytest.mark.e2e

WINDOW = ("2025-02-01", "2025-04-01")
FEATURES = set(SAMPLE_FEATURES)
#: The window in UTC, whatever the server's TimeZone (events are timestamptz).
IN_WINDOW = (
    "event_timestamp >= CAST(:start AS TIMESTAMP) AT TIME ZONE 'UTC' "
    "AND event_timestamp < CAST(:end AS TIMESTAMP) AT TIME ZONE 'UTC'"
)


@pytest.fixture(scope="module")
def batch_run(
    dev_trained_runs: dict[str, str],
    dev_kedro: Callable[..., CompletedProcess],
) -> dict[str, Any]:
    """One DEV batch inference with the uplift run over ``WINDOW``."""
    run_id = dev_trained_runs["uplift_model_exp3"]
    result = dev_kedro(
        "--pipelines",
        "batch_inference",
        "--params",
        f"run_id={run_id},start_date={WINDOW[0]},end_date={WINDOW[1]}",
    )
    return {"run_id": run_id, "result": result}


def _scalar(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), params).scalar()


def test_batch_inference_succeeds(batch_run: dict[str, Any]) -> None:
    """The run exits 0."""
    result = batch_run["result"]
    assert result.returncode == 0, result.stderr[-4000:]


def test_one_prediction_per_event_in_the_window(
    batch_run: dict[str, Any], dev_engine: sa.Engine
) -> None:
    """``public.batch_predictions`` holds exactly the window's events, once each."""
    assert batch_run["result"].returncode == 0, batch_run["result"].stderr[-4000:]
    window = {"start": WINDOW[0], "end": WINDOW[1]}
    expected = _scalar(
        dev_engine, f"SELECT count(*) FROM public.events WHERE {IN_WINDOW}", **window
    )
    assert expected > 0
    assert (
        _scalar(dev_engine, "SELECT count(*) FROM public.batch_predictions") == expected
    )
    assert (
        _scalar(
            dev_engine,
            "SELECT count(DISTINCT session_id) FROM public.batch_predictions",
        )
        == expected
    )
    # Every predicted session is an event of the window, and none is missing.
    unmatched = _scalar(
        dev_engine,
        f"""
        SELECT count(*) FROM public.batch_predictions AS p
        FULL JOIN (SELECT session_id FROM public.events WHERE {IN_WINDOW}) AS e
          ON e.session_id = p.session_id
        WHERE e.session_id IS NULL OR p.session_id IS NULL
        """,
        **window,
    )
    assert unmatched == 0


def test_predictions_are_scored_and_carry_the_run_id(
    batch_run: dict[str, Any], dev_engine: sa.Engine
) -> None:
    """``uplift_score`` is never null and ``model_run_id`` is the training run's id."""
    assert batch_run["result"].returncode == 0, batch_run["result"].stderr[-4000:]
    assert (
        _scalar(
            dev_engine,
            "SELECT count(*) FROM public.batch_predictions WHERE uplift_score IS NULL",
        )
        == 0
    )
    with dev_engine.connect() as connection:
        run_ids = (
            connection.execute(
                sa.text("SELECT DISTINCT model_run_id FROM public.batch_predictions")
            )
            .scalars()
            .all()
        )
    assert run_ids == [batch_run["run_id"]]


def test_intermediates_hold_the_joined_features(
    batch_run: dict[str, Any], dev_engine: sa.Engine
) -> None:
    """``public.batch_intermediates`` has one row per prediction, with the features."""
    assert batch_run["result"].returncode == 0, batch_run["result"].stderr[-4000:]
    inspector = sa.inspect(dev_engine)
    assert inspector.has_table("batch_intermediates", schema="public")
    columns = {
        column["name"]
        for column in inspector.get_columns("batch_intermediates", schema="public")
    }
    assert FEATURES <= columns, sorted(columns)
    assert {"session_id", "event_timestamp", "model_run_id"} <= columns
    assert _scalar(
        dev_engine, "SELECT count(*) FROM public.batch_intermediates"
    ) == _scalar(dev_engine, "SELECT count(*) FROM public.batch_predictions")
    # The features were actually joined, not just declared.
    assert (
        _scalar(
            dev_engine,
            "SELECT count(*) FROM public.batch_intermediates WHERE price IS NOT NULL",
        )
        > 0
    )


def test_the_drift_report_is_a_row_of_the_dev_database(
    batch_run: dict[str, Any], dev_engine: sa.Engine
) -> None:
    """DEV keeps drift reports in PostgreSQL (``public.batch_drift_reports``), one row
    per scored window, with its run id and verdict beside the JSON report."""
    assert batch_run["result"].returncode == 0, batch_run["result"].stderr[-4000:]
    with dev_engine.connect() as connection:
        run_id, verdict, report = connection.execute(
            sa.text(
                "SELECT run_id, verdict, report FROM public.batch_drift_reports "
                "WHERE run_id = :run_id ORDER BY written_at DESC LIMIT 1"
            ),
            {"run_id": batch_run["run_id"]},
        ).one()
    window = {"start": WINDOW[0], "end": WINDOW[1]}
    scored = _scalar(
        dev_engine, f"SELECT count(*) FROM public.events WHERE {IN_WINDOW}", **window
    )
    assert (run_id, verdict) == (batch_run["run_id"], report["verdict"])
    assert verdict in {"stable", "drifted"}
    assert report["rows"] == scored
    assert {"age", "ltv"} <= set(report["features"])
