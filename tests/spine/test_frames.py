"""Spine frames: rows labelled 0..n-1 (without a copy when they already are), and
``event_timestamp`` as naive UTC whatever the caller gave."""

from __future__ import annotations

import pandas as pd
import pytest

from mmp_kedro.spine import normalise_event_timestamp, positional_index


def test_a_frame_already_labelled_0_to_n_is_returned_as_is() -> None:
    frame = pd.DataFrame({"user_id": ["u1", "u2"], "age": [30, 41]})
    assert positional_index(frame) is frame


@pytest.mark.parametrize(
    "labels",
    [[5, 3], pd.RangeIndex(1, 3), pd.RangeIndex(0, 4, 2), ["a", "b"]],
    ids=["shuffled", "starts-at-1", "step-2", "strings"],
)
def test_other_labels_are_replaced_by_positions(labels: object) -> None:
    frame = pd.DataFrame({"user_id": ["u1", "u2"], "age": [30, 41]}, index=labels)
    result = positional_index(frame)
    assert result.index.equals(pd.RangeIndex(2))
    assert result["age"].tolist() == [30, 41]
    assert list(frame.index) == list(pd.Index(labels))  # the input is untouched


@pytest.mark.parametrize(
    "stamps",
    [
        pd.to_datetime(["2025-03-01 05:00+05:00", "2025-03-01 00:00+00:00"]),
        pd.to_datetime(["2025-03-01 00:00", "2025-03-01 00:00"]).astype(
            "datetime64[ns]"
        ),
        ["2025-03-01T00:00:00Z", "2025-03-01T01:00:00+01:00"],
    ],
    ids=["tz-aware", "naive-ns", "iso-strings"],
)
def test_event_timestamps_become_naive_utc(stamps: object) -> None:
    spine = pd.DataFrame({"user_id": ["u1", "u2"], "event_timestamp": stamps})
    result = normalise_event_timestamp(spine)
    assert str(result["event_timestamp"].dtype) == "datetime64[us]"
    assert result["event_timestamp"].tolist() == [pd.Timestamp("2025-03-01")] * 2


def test_a_spine_already_naive_utc_is_returned_as_is() -> None:
    spine = pd.DataFrame(
        {"event_timestamp": pd.to_datetime(["2025-03-01"]).astype("datetime64[us]")}
    )
    assert normalise_event_timestamp(spine) is spine


def test_a_value_that_is_no_timestamp_names_the_column() -> None:
    spine = pd.DataFrame({"event_timestamp": ["yesterday-ish"]})
    with pytest.raises(ValueError, match="^event_timestamp: expected timestamps"):
        normalise_event_timestamp(spine)
