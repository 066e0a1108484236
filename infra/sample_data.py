"""Deterministic generator of the LOCAL sample data for the feature-store pipelines.

The generated tables mimic an event log (the entity spine) plus four time-stamped
feature tables. The targets on ``events`` are computed from the feature values that
were *known at event time* (a backward point-in-time join), so a model trained on a
correct as-of join can learn them, while a leaky join (one that uses feature rows
stamped after the event) yields detectably different features.

Usage::

    python infra/sample_data.py --out data/01_raw --events 10000 --seed 7

It is not part of the ``mmp_kedro`` package, so no trained artifact ships it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["generate_sample_data", "main", "write_sample_data"]

_DAY = 86_400

# Fixed reference dates (Unix epoch seconds, UTC). No wall-clock time is used.
_EVENT_START = 1_735_689_600  # 2025-01-01T00:00:00Z
_EVENT_END = 1_751_328_000  # 2025-07-01T00:00:00Z
_DEMO_START = 1_717_200_000  # 2024-06-01T00:00:00Z
_DEMO_END = 1_743_465_600  # 2025-04-01T00:00:00Z
_SNAPSHOT_START = 1_733_011_200  # 2024-12-01T00:00:00Z
_SNAPSHOT_END = 1_752_537_600  # 2025-07-15T00:00:00Z
_MAX_SUMMARY_ROWS = 150_000

_COUNTRIES = np.array(["KR", "US", "JP", "DE", "GB", "FR"])
_COUNTRY_P = np.array([0.30, 0.25, 0.15, 0.10, 0.10, 0.10])
_CATEGORIES = np.array(["electronics", "fashion", "home", "beauty", "sports", "books"])
_CATEGORY_EFFECT = np.array([0.35, 0.10, -0.05, 0.20, -0.15, -0.30])
_BRANDS = np.array([f"brand_{i:02d}" for i in range(1, 11)])

# Neutral defaults used when no feature row is visible at event time.
_DEFAULTS: dict[str, float] = {
    "age": 40.0,
    "ltv": 0.0,
    "total_purchase_count": 0.0,
    "click_count": 3.0,
    "time_on_page_seconds": 60.0,
    "price": 50.0,
}


def _utc(seconds: np.ndarray) -> pd.DatetimeIndex:
    """Convert Unix epoch seconds to a ``datetime64[us, UTC]`` index."""
    arr = np.asarray(seconds, dtype="int64").astype("datetime64[s]")
    return pd.DatetimeIndex(arr.astype("datetime64[us]")).tz_localize("UTC")


def _ids(prefix: str, numbers: np.ndarray | range, width: int) -> np.ndarray:
    """Format integer ids as zero-padded strings, e.g. ``u00001`` (a wider number
    keeps all its digits, as ``str.zfill`` does)."""
    return np.array([f"{prefix}{n:0{width}d}" for n in numbers], dtype=object)


def _id_table(prefix: str, count: int, width: int) -> np.ndarray:
    """``_ids`` of ``0..count``, to index with the numbers: each id string is built
    once and shared by every row that holds it."""
    return _ids(prefix, range(count + 1), width)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """Numerically plain logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def _sizes(n_events: int) -> tuple[int, int]:
    """Return ``(n_users, n_products)`` for a given number of events."""
    n_users = max(50, n_events // 5)
    n_products = min(200, max(20, n_events // 10))
    return n_users, n_products


_GRP = np.array(["control", "treatment"], dtype=object)


class _Table:
    """A table of ``rows`` rows built on demand, any row range at a time, so that
    ``write_sample_data`` never holds a large table (or its Arrow copy) whole."""

    def __init__(self, rows: int, build: Callable[[int, int], pd.DataFrame]):
        self.rows = rows
        self.build = build

    def frame(self) -> pd.DataFrame:
        return self.build(0, self.rows)


def _make_events(
    rng: np.random.Generator, n_events: int, n_users: int, n_products: int
):
    """The spine's draws, sorted by event time: ``(user, product, seconds, treated)``
    numbers (ids and targets are added by ``_events_table``)."""
    user_num = rng.integers(1, n_users + 1, size=n_events)
    product_num = rng.integers(1, n_products + 1, size=n_events)
    seconds = rng.integers(_EVENT_START, _EVENT_END, size=n_events)
    treated = rng.random(n_events) < 0.5
    order = np.argsort(seconds, kind="stable")
    return user_num[order], product_num[order], seconds[order], treated[order]


def _lexicographic_rank(table: np.ndarray) -> np.ndarray:
    """Rank of each id of an ``_id_table`` in string order (``u100000`` sorts before
    ``u10001``, as the string column sorts)."""
    rank = np.empty(len(table), dtype=np.int64)
    rank[np.argsort(table.astype(str), kind="stable")] = np.arange(len(table))
    return rank


def _make_demographics(rng: np.random.Generator, n_users: int, user_ids: np.ndarray):
    """One first record per user plus a second (age + 1) record for ~30%.

    Returns the table and the per-user arrays its as-of lookup needs.
    """
    age = rng.integers(18, 71, size=n_users)
    country = rng.choice(_COUNTRIES, size=n_users, p=_COUNTRY_P)
    first = rng.integers(_DEMO_START, _DEMO_END, size=n_users)
    has_second = rng.random(n_users) < 0.3
    lo = np.maximum(first, _EVENT_START) + _DAY
    second = lo + (rng.random(n_users) * (_EVENT_END - lo)).astype("int64")
    users = np.arange(1, n_users + 1)
    idx = np.flatnonzero(has_second)
    user_num = np.concatenate([users, users[idx]])
    stamps = np.concatenate([first, second[idx]])
    # Sorted by (user_id string, feature_timestamp); the pairs are unique (a second
    # record is always later than the first), so any sort gives this order.
    order = np.lexsort((stamps, _lexicographic_rank(user_ids)[user_num]))
    frame = pd.DataFrame(
        {
            "user_id": user_ids[user_num[order]],
            "age": np.concatenate([age, age[idx] + 1]).astype("int64")[order],
            "country_code": np.concatenate([country, country[idx]]).astype(object)[
                order
            ],
            "feature_timestamp": _utc(stamps[order]),
        }
    )
    return frame, (age, first, has_second, second)


def _make_purchase_summary(
    rng: np.random.Generator, n_users: int, user_ids: np.ndarray
):
    """Weekly (or bi-weekly) cumulative purchase snapshots per user.

    Returns the table (user-major rows, snapshots in time order) and the arrays its
    as-of lookup needs. The arithmetic is the one it always was, done in place.
    """
    n_weeks = (_SNAPSHOT_END - _SNAPSHOT_START) // (7 * _DAY) + 1
    step = 7 if n_users * n_weeks <= _MAX_SUMMARY_ROWS else 14
    snaps = np.arange(_SNAPSHOT_START, _SNAPSHOT_END + 1, step * _DAY, dtype="int64")
    n_snaps = len(snaps)
    rate = rng.gamma(shape=1.5, scale=0.25, size=n_users) * (step / 7)
    basket = rng.lognormal(mean=3.5, sigma=0.6, size=n_users)
    prior_count = rng.poisson(rate * 20)
    prior_ltv = prior_count * basket * rng.lognormal(0.0, 0.2, size=n_users)
    counts = rng.poisson(rate[:, None], size=(n_users, n_snaps))
    counts[:, 0] = 0
    spend = counts * basket[:, None]
    spend *= rng.lognormal(0.0, 0.3, size=(n_users, n_snaps))
    cum_count = np.cumsum(counts, axis=1, out=counts)
    cum_count += prior_count[:, None]
    cum_ltv = np.cumsum(spend, axis=1, out=spend)
    cum_ltv += prior_ltv[:, None]
    np.round(cum_ltv, 2, out=cum_ltv)
    offset = rng.integers(0, _DAY, size=n_users)
    flat_ltv = cum_ltv.reshape(-1)
    flat_count = cum_count.reshape(-1)

    def build(start: int, stop: int) -> pd.DataFrame:
        user, snap = np.divmod(np.arange(start, stop), n_snaps)
        return pd.DataFrame(
            {
                "user_id": user_ids[user + 1],
                "ltv": flat_ltv[start:stop].astype("float64"),
                "total_purchase_count": flat_count[start:stop].astype("int64"),
                "feature_timestamp": _utc(snaps[snap] + offset[user]),
            }
        )

    table = _Table(n_users * n_snaps, build)
    return table, (step, n_snaps, offset, cum_ltv, cum_count)


def _make_product_details(rng: np.random.Generator, n_products: int) -> pd.DataFrame:
    """First record on 2024-12-01 plus ~2 random price changes per product."""
    base = np.exp(rng.uniform(np.log(5.0), np.log(500.0), size=n_products))
    category = rng.integers(0, len(_CATEGORIES), size=n_products)
    brand = rng.integers(0, len(_BRANDS), size=n_products)
    n_changes = rng.integers(1, 4, size=n_products)
    owner = np.repeat(np.arange(n_products), n_changes)
    change_price = base[owner] * rng.uniform(0.8, 1.2, size=len(owner))
    change_ts = rng.integers(_EVENT_START, _EVENT_END, size=len(owner))
    prod = np.concatenate([np.arange(n_products), owner])
    price = np.round(np.clip(np.concatenate([base, change_price]), 5.0, 500.0), 2)
    stamps = np.concatenate([np.full(n_products, _SNAPSHOT_START), change_ts])
    frame = pd.DataFrame(
        {
            "product_id": _ids("p", prod + 1, 4),
            "price": price.astype("float64"),
            "category": _CATEGORIES[category[prod]].astype(object),
            "brand": _BRANDS[brand[prod]].astype(object),
            "feature_timestamp": _utc(stamps),
        }
    )
    return frame.sort_values(["product_id", "feature_timestamp"]).reset_index(drop=True)


def _make_session_summary(rng: np.random.Generator, event_sec: np.ndarray):
    """One row per session; ~30% are stamped 1-30 minutes after the event.

    Session ``i`` (``s{i:07d}``) is the ``i``-th event in time order.
    """
    n = len(event_sec)
    time_on_page = np.round(rng.lognormal(mean=4.0, sigma=0.7, size=n), 1)
    clicks = rng.poisson(4.5, size=n).astype("int64")
    offset = rng.integers(60, 30 * 60 + 1, size=n)
    after = rng.random(n) < 0.3
    stamps = event_sec + np.where(after, offset, -offset)

    def build(start: int, stop: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "session_id": _ids("s", range(start + 1, stop + 1), 7),
                "time_on_page_seconds": time_on_page[start:stop].astype("float64"),
                "click_count": clicks[start:stop],
                "feature_timestamp": _utc(stamps[start:stop]),
            }
        )

    return _Table(n, build), (time_on_page, clicks, after)


def _as_of(
    events: pd.DataFrame, table: pd.DataFrame, key: str, columns: list[str]
) -> pd.DataFrame:
    """Point-in-time (backward, inclusive) join of ``columns`` onto ``events``.

    Returns a frame aligned with ``events`` (same index order) holding, for each
    event, the values of the latest ``table`` row of the same ``key`` whose
    ``feature_timestamp`` is <= ``event_timestamp`` (NaN when none exists).
    """
    left = events[[key, "event_timestamp"]].assign(_pos=np.arange(len(events)))
    left = left.sort_values("event_timestamp", kind="stable")
    right = table[[key, "feature_timestamp", *columns]].sort_values(
        "feature_timestamp", kind="stable"
    )
    merged = pd.merge_asof(
        left,
        right,
        left_on="event_timestamp",
        right_on="feature_timestamp",
        by=key,
        direction="backward",
        allow_exact_matches=True,
    )
    merged = merged.sort_values("_pos").reset_index(drop=True)
    return merged[columns]


def _point_in_time_features(
    user: np.ndarray,
    product: np.ndarray,
    event_sec: np.ndarray,
    demographics: tuple,
    purchases: tuple,
    products: pd.DataFrame,
    sessions: tuple,
) -> pd.DataFrame:
    """All as-of feature values for the events (NaN where none is visible).

    The same values as a backward, inclusive ``merge_asof`` of each table (``_as_of``)
    gives, computed from the tables' construction for the three large ones: a user's
    demographics rows are ``first < second``, their purchase snapshots fall every
    ``step`` days after their own offset, a session's one row is visible unless it
    was stamped after its event. Products (a few hundred rows) are joined by
    ``_as_of`` on integer keys.
    """
    u = user - 1
    age, first, has_second, second = demographics
    visible_age = np.where(
        has_second[u] & (second[u] <= event_sec),
        age[u] + 1.0,
        np.where(first[u] <= event_sec, age[u] * 1.0, np.nan),
    )

    step, n_snaps, offset, cum_ltv, cum_count = purchases
    snap = (event_sec - offset[u] - _SNAPSHOT_START) // (step * _DAY)
    seen = snap >= 0
    snap = np.minimum(np.maximum(snap, 0), n_snaps - 1)
    ltv = np.where(seen, cum_ltv[u, snap], np.nan)
    count = np.where(seen, cum_count[u, snap].astype("float64"), np.nan)

    keyed = products.assign(product_id=products["product_id"].str[1:].astype("int64"))
    product_feats = _as_of(
        pd.DataFrame({"product_id": product, "event_timestamp": _utc(event_sec)}),
        keyed,
        "product_id",
        ["price", "category"],
    )

    time_on_page, clicks, after = sessions
    return pd.DataFrame(
        {
            "age": visible_age,
            "ltv": ltv,
            "total_purchase_count": count,
            "price": product_feats["price"].to_numpy(),
            "category": product_feats["category"].to_numpy(),
            "time_on_page_seconds": np.where(after, np.nan, time_on_page),
            "click_count": np.where(after, np.nan, clicks.astype("float64")),
        }
    )


def _add_targets(
    rng: np.random.Generator, treated: np.ndarray, feats: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(outcome, converted, order_value)`` from the as-of features."""
    n = len(treated)
    values = {
        name: feats[name].astype("float64").fillna(default).to_numpy()
        for name, default in _DEFAULTS.items()
    }
    age = values["age"]
    log_ltv = np.log1p(values["ltv"])
    clicks = values["click_count"]
    top = values["time_on_page_seconds"]
    price = values["price"]
    cat_codes = pd.Categorical(feats["category"], categories=_CATEGORIES).codes
    cat_effect = np.where(cat_codes >= 0, _CATEGORY_EFFECT[cat_codes], 0.0)

    logit = (
        -1.25
        - 0.025 * (age - 40.0)
        + 0.30 * (log_ltv - 5.0)
        + 0.22 * (clicks - 4.5)
        + 0.45 * (np.log1p(top) - 4.0)
        - 0.35 * (np.log(price) - 3.6)
        + cat_effect
    )
    converted = (rng.random(n) < _sigmoid(logit)).astype("int64")

    order_value = (
        price
        * (1.0 + 0.08 * clicks)
        * (1.0 + 0.06 * log_ltv)
        * rng.lognormal(mean=0.0, sigma=0.25, size=n)
    )

    base = _sigmoid(-1.1 + 0.15 * (log_ltv - 5.0) + 0.08 * (clicks - 4.5))
    effect = np.where(
        age >= 45, -0.05, np.where((age < 35) & (clicks >= 5), 0.25, 0.08)
    )
    p_outcome = np.clip(base + np.where(treated, effect, 0.0), 0.01, 0.99)
    outcome = (rng.random(n) < p_outcome).astype("int64")
    return outcome, converted, np.round(order_value, 2).astype("float64")


def _sample_tables(n_events: int, seed: int) -> dict[str, _Table]:
    """Every random draw, in the order it always had, and the tables built from them."""
    if n_events < 1:
        raise ValueError("n_events must be >= 1")
    rng = np.random.default_rng(seed)
    n_users, n_products = _sizes(n_events)
    user_ids = _id_table("u", n_users, 5)
    product_ids = _id_table("p", n_products, 4)
    user, product, event_sec, treated = _make_events(rng, n_events, n_users, n_products)
    demographics, demographics_state = _make_demographics(rng, n_users, user_ids)
    purchases, purchases_state = _make_purchase_summary(rng, n_users, user_ids)
    products = _make_product_details(rng, n_products)
    sessions, sessions_state = _make_session_summary(rng, event_sec)
    feats = _point_in_time_features(
        user,
        product,
        event_sec,
        demographics_state,
        purchases_state,
        products,
        sessions_state,
    )
    outcome, converted, order_value = _add_targets(rng, treated, feats)
    del feats

    def events(start: int, stop: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "user_id": user_ids[user[start:stop]],
                "product_id": product_ids[product[start:stop]],
                "session_id": _ids("s", range(start + 1, stop + 1), 7),
                "event_timestamp": _utc(event_sec[start:stop]),
                "grp": _GRP[treated[start:stop].astype(np.intp)],
                "outcome": outcome[start:stop],
                "converted": converted[start:stop],
                "order_value": order_value[start:stop],
            }
        )

    def whole(frame: pd.DataFrame) -> _Table:
        return _Table(len(frame), lambda start, stop: frame.iloc[start:stop])

    return {
        "events": _Table(n_events, events),
        "user_demographics": whole(demographics),
        "user_purchase_summary": purchases,
        "product_details": whole(products),
        "session_summary": sessions,
    }


def generate_sample_data(
    n_events: int = 10_000, seed: int = 7
) -> dict[str, pd.DataFrame]:
    """Generate the sample tables deterministically from ``n_events`` and ``seed``.

    Returns a dict with the frames ``events``, ``user_demographics``,
    ``user_purchase_summary``, ``product_details`` and ``session_summary``. All
    timestamps are ``datetime64[us, UTC]``; the same arguments always give identical
    frames.
    """
    return {
        name: table.frame() for name, table in _sample_tables(n_events, seed).items()
    }


#: Rows converted to Arrow and written at a time by ``write_sample_data``.
_WRITE_ROWS = 2_000_000


def write_sample_data(
    out_dir: Path, n_events: int = 10_000, seed: int = 7
) -> dict[str, Path]:
    """Write each generated frame to ``<out_dir>/<name>.parquet``.

    Large tables are written ``_WRITE_ROWS`` rows (one row group) at a time; the
    files read back as the frames of ``generate_sample_data``.
    Returns a mapping from frame name to the written file path.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, table in _sample_tables(n_events, seed).items():
        path = out_dir / f"{name}.parquet"
        if table.rows <= _WRITE_ROWS:
            table.frame().to_parquet(path, index=False)
        else:
            writer = None
            try:
                for start in range(0, table.rows, _WRITE_ROWS):
                    chunk = table.build(start, min(start + _WRITE_ROWS, table.rows))
                    arrow = pa.Table.from_pandas(chunk, preserve_index=False)
                    del chunk
                    if writer is None:
                        writer = pq.ParquetWriter(path, arrow.schema)
                    writer.write_table(arrow)
                    del arrow
            finally:
                if writer is not None:
                    writer.close()
        paths[name] = path
    return paths


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: generate and write the sample parquet files."""
    parser = argparse.ArgumentParser(
        prog="python infra/sample_data.py",
        description="Generate deterministic LOCAL sample data as parquet files.",
    )
    parser.add_argument("--out", type=Path, default=Path("data/01_raw"))
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    paths = write_sample_data(args.out, n_events=args.events, seed=args.seed)
    for name, path in paths.items():
        rows = pq.ParquetFile(path).metadata.num_rows
        print(f"{name}: {rows} rows -> {path}")  # noqa: T201


if __name__ == "__main__":
    main()
