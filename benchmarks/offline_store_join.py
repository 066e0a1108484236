"""Feast's DuckDB offline store against ours (DuckDB ASOF JOINs), one point-in-time
join of a spine chunk each, alternating A B A B.

    .venv/bin/python benchmarks/offline_store_join.py [--events 1000000] [--rows 250000] [--rounds 3]

Sample data of ``--events`` events is written to a temporary directory
(``infra/sample_data.py``) and the project's feature views are applied to a Feast
registry there (``conf/base/feature_store.yml``, the parquet files as sources). Each
round joins the same ``--rows`` events (the middle of the event range, in the loader
SQL's order) to the ``conversion_classifier`` recipe's nine features, first with
``type: duckdb`` (Feast's own store, its join planned in ibis), then with
``mmp_kedro.runtime.asof_offline_store.AsofDuckDBOfflineStore``, each through
``FeatureStore.get_historical_features(...).to_df()`` as the augmenter calls it.
The two results are checked equal (``assert_frame_equal``, rows in the spine's
order); the median seconds of each and their ratio are printed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import duckdb
import pandas as pd
import yaml
from feast import FeatureStore, RepoConfig

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from mmp_kedro.feature_store.store import build_definitions  # noqa: E402

STORES = {
    "Feast duckdb": "duckdb",
    "ours (ASOF)": "mmp_kedro.runtime.asof_offline_store.AsofDuckDBOfflineStore",
}
ROW = "__row__"


def _store(repo: Path, offline_type: str) -> FeatureStore:
    return FeatureStore(
        repo_path=str(repo),
        config=RepoConfig(
            project="join_benchmark",
            provider="local",
            registry=str(repo / "registry.db"),
            offline_store={"type": offline_type},
            online_store={"type": "sqlite", "path": str(repo / "online.db")},
            entity_key_serialization_version=3,
        ),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=250_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    recipe = yaml.safe_load((ROOT / "recipes/conversion_classifier.yaml").read_text())
    refs = [
        f"{group['feature_namespace']}:{feature}"
        for group in recipe["augmenter"]["features"]
        for feature in group["features"]
    ]
    with tempfile.TemporaryDirectory(prefix="mmp-join-") as tmp:
        repo = Path(tmp)
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "infra/sample_data.py"),
                "--out",
                str(repo),
                "--events",
                str(args.events),
            ],
            check=True,
            capture_output=True,
        )
        settings = yaml.safe_load((ROOT / "conf/base/feature_store.yml").read_text())
        settings["source"] = {"type": "file", "path_template": "{name}.parquet"}
        _store(repo, "duckdb").apply(build_definitions(settings, repo))
        spine = duckdb.sql(
            "SELECT user_id, product_id, session_id, event_timestamp "
            f"FROM read_parquet('{repo / 'events.parquet'}') "
            "ORDER BY event_timestamp, session_id "
            f"LIMIT {args.rows} OFFSET {max(args.events - args.rows, 0) // 2}"
        ).df()
        spine[ROW] = range(len(spine))
        stores = {name: _store(repo, kind) for name, kind in STORES.items()}
        seconds: dict[str, list[float]] = {name: [] for name in stores}
        results: dict[str, pd.DataFrame] = {}
        for round_number in range(1, args.rounds + 1):
            for name, store in stores.items():
                started = time.perf_counter()
                joined = store.get_historical_features(
                    entity_df=spine, features=refs
                ).to_df()
                seconds[name].append(time.perf_counter() - started)
                results[name] = joined.sort_values(ROW).reset_index(drop=True)
            print(
                f"round {round_number}: "
                + ", ".join(f"{name} {seconds[name][-1]:.2f} s" for name in stores)
            )
        feast, ours = results.values()
        pd.testing.assert_frame_equal(ours, feast)

    medians = {name: statistics.median(values) for name, values in seconds.items()}
    print(
        f"\n{args.rows:,} spine rows of {args.events:,} events, {len(refs)} features, "
        f"{args.rounds} rounds: the same rows and values"
    )
    for name, median in medians.items():
        print(f"  {name:<14} median {median:.2f} s")
    feast_median, ours_median = medians.values()
    print(f"  ours / Feast's: {ours_median / feast_median:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
