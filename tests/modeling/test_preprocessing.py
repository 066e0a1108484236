"""SimpleScaler's NumPy transform equals the fitted sklearn ColumnTransformer's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mmp_kedro.modeling.preprocessing import SimpleScaler


def _frame(n: int, seed: int, unseen: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    colours = ["red", "green", "blue"] + (["violet"] if unseen else [])
    frame = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(n)],
            "event_timestamp": pd.date_range("2025-01-01", periods=n, freq="h"),
            "age": rng.integers(18, 80, n),
            "ltv": rng.normal(100, 30, n),
            "clicks": pd.array(rng.integers(0, 9, n), dtype="Int64"),
            "colour": rng.choice(colours, n).astype(object),
            "premium": rng.choice([True, False], n),
            "segment": rng.choice(["a", "b"], n).astype(object),
            "score": rng.uniform(0, 1, n),
        }
    )
    frame.loc[rng.random(n) < 0.2, "ltv"] = np.nan
    frame.loc[rng.random(n) < 0.2, "colour"] = None
    frame.loc[rng.random(n) < 0.2, "clicks"] = pd.NA
    return frame


@pytest.mark.parametrize("criterion_col", [None, "score"])
def test_numpy_transform_equals_sklearn_transform(criterion_col: str | None) -> None:
    train = _frame(400, seed=1)
    train["never_seen"] = np.nan  # all-missing at fit: sklearn drops it
    scaler = SimpleScaler(
        exclude_cols=["user_id", "event_timestamp"], criterion_col=criterion_col
    ).fit(train)

    new_rows = _frame(50, seed=2, unseen=True)
    new_rows["never_seen"] = 1.0
    fast = scaler.transform(new_rows)
    reference = scaler.sklearn_transform(new_rows)

    assert list(fast.columns) == list(reference.columns)
    assert "never_seen" not in fast.columns
    assert fast.index.equals(new_rows.index)
    np.testing.assert_allclose(
        fast.to_numpy(), reference.to_numpy(), rtol=0, atol=1e-12
    )
    # An unseen category encodes as all zeros, a missing one as the most frequent.
    colour_columns = [c for c in fast.columns if c.startswith("colour_")]
    violet = (new_rows["colour"] == "violet").to_numpy()
    assert violet.any() and (fast.loc[violet, colour_columns] == 0).all().all()


def test_one_row_with_missing_values_equals_sklearn() -> None:
    scaler = SimpleScaler(exclude_cols=["user_id", "event_timestamp"]).fit(
        _frame(200, seed=3)
    )
    row = _frame(1, seed=4)
    row.loc[0, ["ltv", "colour", "clicks"]] = [np.nan, None, pd.NA]
    np.testing.assert_allclose(
        scaler.transform(row).to_numpy(),
        scaler.sklearn_transform(row).to_numpy(),
        rtol=0,
        atol=1e-12,
    )
