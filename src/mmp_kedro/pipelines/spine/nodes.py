"""Spine nodes: run loader SQL on the env's engine with bound context parameters."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mmp_kedro.datasets import SQLQueryError, SQLQueryRunner
from mmp_kedro.recipe import ResolvedRecipe
from mmp_kedro.sql import bind_parameter_names

EVENT_TIMESTAMP = "event_timestamp"


def run_loader_sql(
    spine_loader: SQLQueryRunner, sql: str, parameters: dict[str, Any], source: str
) -> pd.DataFrame:
    """Rows of ``sql``, its ``:name`` placeholders bound from Kedro parameters.

    Values are passed to the driver as parameters, so a value can never change the
    statement (no SQL injection through ``--params``).

    Raises:
        ValueError: a placeholder has no value, the database refuses a value (naming
            it and the driver's reason), or the result is unusable (no rows, a
            column name twice).
    """
    names = bind_parameter_names(sql)
    missing = [n for n in names if parameters.get(n) is None]
    if missing:
        raise ValueError(
            f"{source} needs the parameter(s) {missing}: pass them as "
            f"`kedro run ... --params {','.join(f'{n}=<value>' for n in missing)}` or set "
            "them in conf/<env>/parameters.yml"
        )
    try:
        spine = spine_loader.query(sql, {n: parameters[n] for n in names})
    except SQLQueryError as err:
        raise ValueError(
            f"{source}: {err}. Check the values passed with `--params` (dates as "
            "YYYY-MM-DD) or set in conf/<env>/parameters.yml"
        ) from None
    # Each column is looked up by name downstream (entity keys, features, predictions
    # are joined as named columns): two of one name would be ambiguous.
    repeated = sorted(set(spine.columns[spine.columns.duplicated()]))
    if repeated:
        raise ValueError(
            f"{source} returns the column(s) {repeated} more than once: give each "
            "column of the top-level SELECT its own name (alias all but one)"
        )
    if spine.empty:
        raise ValueError(
            f"{source} returned no rows for { ({n: parameters[n] for n in names}) }"
        )
    return normalise_event_timestamp(spine)


def normalise_event_timestamp(spine: pd.DataFrame) -> pd.DataFrame:
    """``event_timestamp`` as naive UTC, whatever the engine returned.

    Naive UTC is what an MLflow signature's ``datetime`` accepts, so the spine the
    artifact is trained on and the rows it is later given have the same type.
    """
    if EVENT_TIMESTAMP not in spine.columns:
        return spine
    return spine.assign(**{EVENT_TIMESTAMP: as_naive_utc(spine[EVENT_TIMESTAMP])})


def positional_index(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with rows labelled 0..n-1, as every inference step returns them.

    ``reset_index`` copies all the data even when the labels are already those: a
    cost on every one-row serving request, so it is skipped then.
    """
    index = frame.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return frame
    return frame.reset_index(drop=True)


def as_naive_utc(stamps: pd.Series) -> pd.Series:
    """Timestamps converted to UTC (naive ones are taken as UTC), then made naive."""
    stamps = pd.to_datetime(stamps)
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.astype("datetime64[us]")


def load_training_spine(
    spine_loader: SQLQueryRunner, recipe: ResolvedRecipe, parameters: dict[str, Any]
) -> pd.DataFrame:
    """The recipe's spine: its loader SQL run with the run's context parameters."""
    return run_loader_sql(
        spine_loader, recipe.loader_sql, parameters, recipe.spec.loader.source_uri
    )
