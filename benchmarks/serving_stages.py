"""Where one single-row /predict spends its time, stage by stage, in-process.

    infra/dev-stack up && set -a && . ./.env && set +a
    .venv/bin/python benchmarks/serving_stages.py --run-id <id> [--repeats 500]

Builds the serving app for ``--run-id`` on DEV exactly as ``python -m serving`` does
(no HTTP server), then times, for one real entity from public.events, each piece of a
request on its own, ``--repeats`` times after a warm-up: the whole ``_predict`` (what
the endpoint runs), the artifact's ``KedroPipelineModel.predict``, each inference node
called directly with the outputs of the one before, Feast's online read alone, and
the same three nodes called in sequence without Kedro, and two costs kedro-mlflow adds
per call (a new hook manager, which the app shares instead since
``runtime.hook_manager.share_empty_hook_manager``, and a deep copy of the catalog,
with the fitted inputs shared as ``artifact.contract.load_model`` shares them and
unshared as a bare ``mlflow.pyfunc.load_model`` leaves them). The difference between
``KedroPipelineModel.predict`` and the nodes in sequence is the per-call framework
cost. Last, the model's own prediction in a hot loop and after 1 ms of idling before
each call (a server between requests), and the whole ``_predict`` after 1 ms idling
under CPython's default garbage-collector thresholds and under the server's
(``runtime.collector.freeze_for_serving``), alternating three times so that drift of the
machine hits both alike, with the collections each generation ran per 100 calls. Prints p50/p99 per stage; exits 0.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from copy import deepcopy
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from serving_load import entity_keys  # noqa: E402 - this folder's load benchmark


def warm_up_calls(repeats: int) -> int:
    """Untimed calls before ``repeats`` timed ones."""
    return max(20, repeats // 10)


def timed(
    fn: Callable[[], object], repeats: int, idle_before: float = 0.0
) -> tuple[float, float]:
    """(p50, p99) in ms of ``fn`` over ``repeats`` calls, after a warm-up; with
    ``idle_before`` seconds of sleep before each timed call (not counted), as a
    server waits between requests."""
    for _ in range(warm_up_calls(repeats)):
        fn()
    samples = []
    for _ in range(repeats):
        if idle_before:
            time.sleep(idle_before)
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    p50, p99 = np.percentile(samples, [50, 99]) * 1e3
    return float(p50), float(p99)


def bare_pyfunc_catalog(run_id: str) -> object:
    """The catalog of the run's model as a plain ``mlflow.pyfunc.load_model`` has it."""
    import mlflow

    from mmp_kedro.artifact import contract

    return (
        mlflow.pyfunc.load_model(contract.model_uri(run_id))
        .unwrap_python_model()
        .loaded_catalog
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--repeats", type=int, default=500)
    args = parser.parse_args()

    from kedro.framework.hooks import _create_hook_manager

    from mmp_kedro.feature_store import get_feature_store
    from mmp_kedro.feature_store.augmenter import feature_refs
    from mmp_kedro.pipelines.augment.nodes import augment_features
    from mmp_kedro.pipelines.predict.nodes import predict, transform_features
    from serving.app import ServingSettings, _predict, create_app

    app = create_app(ServingSettings(env="dev", run_id=args.run_id, project_path=ROOT))
    artifact = app.state.artifact
    model = artifact.pipeline_model
    catalog = model.loaded_catalog
    unshared_catalog = bare_pyfunc_catalog(args.run_id)
    augmenter = catalog.load("augmenter_config")
    preprocessor = catalog.load("preprocessor")
    estimator = catalog.load("model")

    entity = entity_keys(list(artifact.request_fields), limit=1)[0]
    spine = pd.DataFrame({k: [v] for k, v in entity.items()})
    spine["event_timestamp"] = pd.Timestamp(datetime.now(UTC).replace(tzinfo=None))
    augmented = augment_features(spine, augmenter, "serving")
    features = transform_features(augmented, preprocessor)
    store = get_feature_store()
    refs = feature_refs(augmenter)
    key_row = [{k: entity[k] for k in artifact.features_by_entity}]

    def nodes_in_sequence() -> object:
        joined = augment_features(spine, augmenter, "serving")
        inputs = transform_features(joined, preprocessor)
        return predict(spine, joined, inputs, estimator, True)

    def model_alone() -> object:
        return estimator.predict_frame(features)

    stages: list[tuple[str, Callable[[], object]]] = [
        ("_predict (the endpoint's work)", lambda: _predict(artifact, [entity], False)),
        (
            "KedroPipelineModel.predict",
            lambda: model.predict(None, spine, params=dict(artifact.predict_params)),
        ),
        (
            "  node augment (Feast online read + join)",
            lambda: augment_features(spine, augmenter, "serving"),
        ),
        (
            "    of which Feast get_online_features",
            lambda: store.get_online_features(
                features=refs, entity_rows=key_row
            ).to_dict(),
        ),
        ("  node transform", lambda: transform_features(augmented, preprocessor)),
        (
            "  node predict",
            lambda: predict(spine, augmented, features, estimator, True),
        ),
        ("  the three nodes in sequence, no Kedro", nodes_in_sequence),
        ("  kedro-mlflow: new hook manager (unshared)", _create_hook_manager),
        ("  kedro-mlflow: catalog deep copy", lambda: deepcopy(catalog)),
        (
            "    the same, fitted inputs not shared",
            lambda: deepcopy(unshared_catalog),
        ),
    ]
    print(f"run {args.run_id}, entity {entity}, {args.repeats} calls per stage")
    print(f"{'stage':45s} {'p50 ms':>8s} {'p99 ms':>8s}")
    results = {}
    for name, fn in stages:
        results[name] = timed(fn, args.repeats)
        print(f"{name:45s} {results[name][0]:8.3f} {results[name][1]:8.3f}")
    # The same model call after each idle gap: what a CPU that has gone cold costs.
    for name, idle in (
        ("model alone, hot loop", 0.0),
        ("model alone, after 1 ms idle", 1e-3),
    ):
        p50, p99 = timed(model_alone, args.repeats, idle_before=idle)
        print(f"  {name:43s} {p50:8.3f} {p99:8.3f}")
    # The server's collector thresholds against CPython's, same requests, alternating.
    from mmp_kedro.runtime.collector import DEFAULT_THRESHOLDS, RELAXED_THRESHOLDS

    for round_ in range(1, 4):
        for name, thresholds in (
            ("default", DEFAULT_THRESHOLDS),
            ("serving", RELAXED_THRESHOLDS),
        ):
            gc.set_threshold(*thresholds)
            before = [stats["collections"] for stats in gc.get_stats()]
            p50, p99 = timed(
                lambda: _predict(artifact, [entity], False), args.repeats, 1e-3
            )
            calls = args.repeats + warm_up_calls(args.repeats)
            per_100 = [
                100 * (stats["collections"] - count) / calls
                for stats, count in zip(gc.get_stats(), before, strict=True)
            ]
            label = f"_predict, 1 ms idle, {name} GC thresholds ({round_})"
            print(
                f"{label:45s} {p50:8.3f} {p99:8.3f}   collections per 100 calls, "
                f"generations 0/1/2: {per_100[0]:.0f}/{per_100[1]:.0f}/{per_100[2]:.1f}"
            )
    gc.set_threshold(*RELAXED_THRESHOLDS)
    overhead = (
        results["KedroPipelineModel.predict"][0]
        - results["  the three nodes in sequence, no Kedro"][0]
    )
    print(f"{'framework per call (p50 difference)':45s} {overhead:8.3f}")


if __name__ == "__main__":
    main()
