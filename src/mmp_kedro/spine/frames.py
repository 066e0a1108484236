"""Spine frames as every step receives them: naive-UTC timestamps, rows 0..n-1."""

from __future__ import annotations

import pandas as pd

EVENT_TIMESTAMP = "event_timestamp"
#: The dtype of ``event_timestamp`` in every frame a step receives.
NAIVE_UTC = "datetime64[us]"


def normalise_event_timestamp(spine: pd.DataFrame) -> pd.DataFrame:
    """``event_timestamp`` as naive UTC, whatever the engine returned.

    Naive UTC is what an MLflow signature's ``datetime`` accepts, so the spine the
    artifact is trained on and the rows it is later given have the same type.
    """
    if (
        EVENT_TIMESTAMP not in spine.columns
        or spine[EVENT_TIMESTAMP].dtype == NAIVE_UTC
    ):
        return spine
    return spine.assign(**{EVENT_TIMESTAMP: as_naive_utc(spine[EVENT_TIMESTAMP])})


def as_naive_utc(stamps: pd.Series) -> pd.Series:
    """Timestamps converted to UTC (naive ones are taken as UTC), then made naive.

    Raises:
        ValueError: a value is not a timestamp, with the column named.
    """
    try:
        # utc=True reads naive values as UTC and converts aware ones, mixed offsets too.
        stamps = pd.to_datetime(stamps, utc=True)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"{stamps.name or 'timestamps'}: expected timestamps, naive (taken as UTC) "
            f"or with a time zone; {str(error).splitlines()[0]}"
        ) from None
    return stamps.dt.tz_localize(None).astype(NAIVE_UTC)


def positional_index(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with rows labelled 0..n-1, as every inference step returns them.

    ``reset_index`` copies all the data even when the labels are already those, so
    such a frame is returned as it is.
    """
    index = frame.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return frame
    return frame.reset_index(drop=True)
