"""``positional_index``: rows labelled 0..n-1, without a copy when they already are."""

from __future__ import annotations

import pandas as pd
import pytest

from mmp_kedro.spine import positional_index


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
