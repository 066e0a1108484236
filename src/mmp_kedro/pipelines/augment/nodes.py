"""Augment nodes: join feature-store features onto the spine.

One node serves training, batch inference and serving; ``run_mode`` picks how the
features are read: ``batch`` is Feast's point-in-time ``get_historical_features``
(each row gets the latest value stamped at or before its ``event_timestamp``, within
the view's TTL), ``serving`` is ``get_online_features`` (latest materialised value).
The store itself is bound by the process that runs the node (see
:mod:`mmp_kedro.feature_store.binding`): the artifact never carries infrastructure.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mmp_kedro.feature_store import get_feature_store
from mmp_kedro.pipelines.spine.nodes import as_naive_utc, positional_index
from mmp_kedro.recipe import ResolvedRecipe

RUN_MODES = ("batch", "serving")
_ROW_ID = "__mmp_spine_row__"


def feature_store_disabled(feature_store: str | None) -> bool:
    """Whether the env's ``feature_store`` parameter turns the feature store off."""
    return str(feature_store).lower() == "none"


def resolve_augmenter_config(
    recipe: ResolvedRecipe, feature_store: str
) -> dict[str, Any]:
    """The augmenter the artifact will run: the recipe's, unless the env has no store.

    ``feature_store: none`` in the env's parameters makes every augmenter a
    pass-through (the blueprint's LOCAL behaviour); the requested features are kept
    in the snapshot so the choice is visible.
    """
    requested = recipe.spec.augmenter.model_dump()
    if requested["type"] == "feature_store" and feature_store_disabled(feature_store):
        return {
            "type": "pass_through",
            "features": [],
            "requested": requested,
            "reason": "the env sets feature_store: none",
        }
    return requested


def augment_features(
    spine: pd.DataFrame, augmenter_config: dict[str, Any], run_mode: str
) -> pd.DataFrame:
    """The spine with the configured features joined, row order and count unchanged."""
    if augmenter_config["type"] == "pass_through":
        return spine
    if run_mode not in RUN_MODES:
        raise ValueError(f"run_mode must be one of {RUN_MODES}, got {run_mode!r}")
    refs = feature_refs(augmenter_config)
    store = get_feature_store()
    join_keys = entity_join_keys(store, augmenter_config)
    missing = sorted(set(join_keys) - set(spine.columns))
    if missing:
        raise ValueError(
            f"the spine lacks the entity key column(s) {missing} needed by the features "
            f"{refs}; its columns are {list(spine.columns)}"
        )
    names = feature_columns(augmenter_config)
    replaced = [name for name in names if name in spine.columns]
    base = positional_index(spine.drop(columns=replaced) if replaced else spine)
    if run_mode == "batch":
        joined = _historical_features(store, base, join_keys, refs)
        features = {name: joined[name] for name in names}
    else:
        features = _online_features(store, base, join_keys, refs, names)
    # One frame from columns: cheaper than a features frame and a concat, which
    # cost more than the Redis read on a one-row request.
    return pd.DataFrame(
        {**dict(base.items()), **features}, index=base.index, copy=False
    )


def feature_refs(augmenter_config: dict[str, Any]) -> list[str]:
    """``namespace:feature`` references of an augmenter config."""
    return [
        f"{group['feature_namespace']}:{feature}"
        for group in augmenter_config["features"]
        for feature in group["features"]
    ]


def feature_columns(augmenter_config: dict[str, Any]) -> list[str]:
    """The columns the configured features land in (names unique across views)."""
    return [
        feature
        for group in augmenter_config["features"]
        for feature in group["features"]
    ]


def entity_join_keys(store: Any, augmenter_config: dict[str, Any]) -> list[str]:
    """Join keys of the entities behind the configured feature views."""
    namespaces = tuple(
        group["feature_namespace"] for group in augmenter_config["features"]
    )
    return list(_join_keys(store, namespaces))


# Registry look-ups cost milliseconds per call; a view's join keys do not change
# while a process holds its store, so they are read once per (store, namespaces).
_JOIN_KEYS: dict[tuple[int, tuple[str, ...]], tuple[str, ...]] = {}


def _join_keys(store: Any, namespaces: tuple[str, ...]) -> tuple[str, ...]:
    cache_key = (id(store), namespaces)
    if cache_key not in _JOIN_KEYS:
        keys: dict[str, None] = {}
        for namespace in namespaces:
            for column in store.get_feature_view(namespace).entity_columns:
                keys.setdefault(column.name, None)
        _JOIN_KEYS[cache_key] = tuple(keys)
    return _JOIN_KEYS[cache_key]


def _historical_features(
    store: Any, spine: pd.DataFrame, join_keys: list[str], refs: list[str]
) -> pd.DataFrame:
    entity_df = spine[[*join_keys, "event_timestamp"]].reset_index(drop=True)
    entity_df["event_timestamp"] = as_naive_utc(
        entity_df["event_timestamp"]
    ).dt.tz_localize("UTC")
    entity_df[_ROW_ID] = range(len(entity_df))
    joined = store.get_historical_features(
        entity_df=entity_df, features=refs, full_feature_names=False
    ).to_df()
    # Offline stores may reorder rows: restore the spine's order exactly.
    return joined.sort_values(_ROW_ID).reset_index(drop=True)


def _online_features(
    store: Any,
    spine: pd.DataFrame,
    join_keys: list[str],
    refs: list[str],
    names: list[str],
) -> dict[str, list[Any]]:
    """The features' latest values from the online store, one list per column, in
    the spine's row order (None where the store has no value)."""
    # Plain lists both ways: DataFrame.to_dict/to_df cost more than the Redis read
    # itself on a one-row request.
    key_columns = (spine[key].tolist() for key in join_keys)
    rows = [dict(zip(join_keys, values, strict=True)) for values in zip(*key_columns)]
    response = store.get_online_features(features=refs, entity_rows=rows).to_dict()
    return {name: response[name] for name in names}
