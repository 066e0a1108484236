"""Seed the DEV PostgreSQL with the sample data and register/materialise Feast.

Called by ``infra/dev-stack up``; reads the ``POSTGRES_*`` variables of ``.env``.
Tables are written in one transaction each (a failed seed leaves the old tables, not
half-written ones) and a marker row makes a second ``up`` skip the work.

    public.events                 the entity spine the loader SQL reads
    features.<feature view>       one table per feature view (the Feast offline store)
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import redis
import sqlalchemy as sa
from sample_data import generate_sample_data  # infra/, beside this script

from mmp_kedro.feature_store.__main__ import apply

ROOT = Path(__file__).resolve().parents[1]
SEED_VERSION = "1"
log = logging.getLogger("seed_dev_data")


def engine() -> sa.Engine:
    url = sa.URL.create(
        "postgresql+psycopg",
        username=os.environ["POSTGRES_USER"],
        password=os.environ["POSTGRES_PASSWORD"],
        host=os.environ.get("POSTGRES_HOST", "127.0.0.1"),
        port=int(os.environ.get("POSTGRES_PORT", "55432")),
        database=os.environ.get("POSTGRES_DB", "mlpipeline"),
    )
    return sa.create_engine(url)


def already_seeded(db: sa.Engine, events: int) -> bool:
    with db.connect() as connection:
        exists = connection.execute(
            sa.text("SELECT to_regclass('public.dev_stack_seed')")
        ).scalar()
        if not exists:
            return False
        row = connection.execute(
            sa.text("SELECT version, events FROM dev_stack_seed")
        ).first()
    return row is not None and tuple(row) == (SEED_VERSION, events)


def online_store_empty() -> bool:
    client = redis.Redis(
        host=os.environ.get("REDIS_HOST", "127.0.0.1"),
        port=int(os.environ.get("REDIS_PORT", "56379")),
        password=os.environ.get("REDIS_PASSWORD") or None,
    )
    return client.dbsize() == 0


def load_tables(db: sa.Engine, events: int) -> None:
    frames = generate_sample_data(n_events=events)
    with db.begin() as connection:
        connection.execute(sa.text("CREATE SCHEMA IF NOT EXISTS features"))
        connection.execute(sa.text("DROP TABLE IF EXISTS dev_stack_seed"))
    for name, frame in frames.items():
        schema = None if name == "events" else "features"
        key = "session_id" if name == "events" else frame.columns[0]
        stamp = "event_timestamp" if name == "events" else "feature_timestamp"
        qualified = f"{schema}.{name}" if schema else name
        with db.begin() as connection:  # one transaction per table: all or nothing
            frame.head(0).to_sql(
                name, connection, schema=schema, if_exists="replace", index=False
            )
            copy_rows(connection, qualified, frame)
            connection.execute(sa.text(f"CREATE INDEX ON {qualified} ({key}, {stamp})"))
        log.info(
            "loaded %s: %d rows",
            name if schema is None else f"features.{name}",
            len(frame),
        )


def copy_rows(connection: sa.Connection, table: str, frame) -> None:
    """PostgreSQL COPY: ~20x faster than INSERTs for the 90k sample rows."""
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    rows = (
        frame.astype(object)
        .where(frame.notna(), None)
        .itertuples(index=False, name=None)
    )
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--force", action="store_true", help="reload even if seeded")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="[seed] %(message)s")
    logging.getLogger("feast").setLevel(logging.WARNING)
    db = engine()
    if already_seeded(db, args.events) and not args.force:
        if online_store_empty():
            # Redis lost its data (e.g. started without its snapshot): refill it.
            apply(ROOT, "dev", materialize=True)
        log.info("already seeded with %d events (use --force to reload)", args.events)
        return
    load_tables(db, args.events)
    apply(ROOT, "dev", materialize=True)
    with db.begin() as connection:
        connection.execute(
            sa.text("CREATE TABLE dev_stack_seed (version text, events int)")
        )
        connection.execute(
            sa.text("INSERT INTO dev_stack_seed VALUES (:v, :e)"),
            {"v": SEED_VERSION, "e": args.events},
        )
    log.info("seeded: sample data, Feast registry and Redis online store")


if __name__ == "__main__":
    main()
