"""An augmenter config's features, read from the bound feature store.

The config (``augmenter_config``, snapshotted with the artifact) lists feature views
(namespaces) and the features taken from each. ``batch`` reads are Feast's
point-in-time ``get_historical_features`` (each row gets the latest value stamped at
or before its ``event_timestamp``, within the view's TTL); ``serving`` reads are
``get_online_features`` (the latest materialised value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow.compute as pc

from mmp_kedro.feature_store.binding import entity_join_keys, get_feature_store
from mmp_kedro.recipe import RecipeError, ResolvedRecipe
from mmp_kedro.spine.frames import EVENT_TIMESTAMP, as_naive_utc, positional_index

RUN_MODES = ("batch", "serving")
_ROW_ID = "__mmp_spine_row__"


def feature_store_disabled(feature_store: str | None) -> bool:
    """Whether the env's ``feature_store`` parameter turns the feature store off."""
    return str(feature_store).lower() == "none"


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


@dataclass(frozen=True)
class FeatureSet:
    """What an augmenter config reads: Feast references, the columns they land in,
    and the entity keys they are joined on."""

    refs: list[str]
    columns: list[str]
    join_keys: list[str]


def feature_set(augmenter_config: dict[str, Any]) -> FeatureSet:
    """The config's features, their join keys read from the bound store."""
    namespaces = tuple(
        group["feature_namespace"] for group in augmenter_config["features"]
    )
    return FeatureSet(
        refs=feature_refs(augmenter_config),
        columns=feature_columns(augmenter_config),
        join_keys=list(entity_join_keys(namespaces)),
    )


def features_by_join_key(augmenter_config: dict[str, Any]) -> dict[str, list[str]]:
    """Which feature columns each entity key brings, from the bound store."""
    mapping: dict[str, list[str]] = {}
    for group in augmenter_config["features"]:
        for key in entity_join_keys((group["feature_namespace"],)):
            mapping.setdefault(key, []).extend(group["features"])
    return mapping


def augment(
    spine: pd.DataFrame, augmenter_config: dict[str, Any], run_mode: str
) -> pd.DataFrame:
    """The spine with the configured features joined, row order and count unchanged.

    Raises:
        ValueError: an unknown ``run_mode``, or the spine lacks an entity key the
            features are joined on.
    """
    if augmenter_config["type"] == "pass_through":
        return spine
    if run_mode not in RUN_MODES:
        raise ValueError(f"run_mode must be one of {RUN_MODES}, got {run_mode!r}")
    features = feature_set(augmenter_config)
    missing = sorted(set(features.join_keys) - set(spine.columns))
    if missing:
        raise ValueError(
            f"the spine lacks the entity key column(s) {missing} needed by the features "
            f"{features.refs}; its columns are {list(spine.columns)}"
        )
    replaced = [c for c in features.columns if c in spine.columns]
    base = positional_index(spine.drop(columns=replaced) if replaced else spine)
    read = historical_features if run_mode == "batch" else online_features
    return pd.DataFrame(
        {**dict(base.items()), **read(base, features)}, index=base.index, copy=False
    )


def historical_features(
    spine: pd.DataFrame, features: FeatureSet
) -> dict[str, pd.Series]:
    """Each feature's point-in-time values for the spine's rows, in the spine's
    order (the spine has rows 0..n-1)."""
    entity_df = spine[[*features.join_keys, EVENT_TIMESTAMP]].reset_index(drop=True)
    entity_df[EVENT_TIMESTAMP] = as_naive_utc(
        entity_df[EVENT_TIMESTAMP]
    ).dt.tz_localize("UTC")
    entity_df[_ROW_ID] = range(len(entity_df))
    joined = (
        get_feature_store()
        .get_historical_features(
            entity_df=entity_df, features=features.refs, full_feature_names=False
        )
        .to_arrow()
    )
    # Offline stores may reorder rows: restore the spine's order exactly. Only the
    # feature columns become pandas (the entity columns are the spine's already).
    in_spine_order = pc.sort_indices(joined[_ROW_ID])
    frame = joined.select(features.columns).take(in_spine_order).to_pandas()
    return {name: frame[name] for name in features.columns}


def online_features(spine: pd.DataFrame, features: FeatureSet) -> dict[str, list[Any]]:
    """Each feature's latest value in the online store for the spine's rows, one
    list per column in the spine's row order (None where the store has none)."""
    keys = features.join_keys
    key_columns = (spine[key].tolist() for key in keys)
    rows = [dict(zip(keys, values, strict=True)) for values in zip(*key_columns)]
    response = (
        get_feature_store()
        .get_online_features(features=features.refs, entity_rows=rows)
        .to_dict()
    )
    return {name: response[name] for name in features.columns}


def check_features_exist(recipe: ResolvedRecipe, feature_store: str | None) -> None:
    """Every namespace and feature the recipe asks for is in the bound store's
    registry (nothing to check for a pass-through augmenter, or where the env's
    ``feature_store`` parameter turns the store off).

    Raises:
        RecipeError: naming the recipe file, the field and what the registry has.
    """
    if recipe.spec.augmenter.type != "feature_store" or feature_store_disabled(
        feature_store
    ):
        return
    try:
        views = {view.name: view for view in get_feature_store().list_feature_views()}
    except Exception as err:  # noqa: BLE001 - any registry failure gets one message
        raise RecipeError(
            f"{recipe.path}: cannot read the feature store registry to check "
            f"augmenter.features ({type(err).__name__}: {err}). Apply the feature "
            "definitions first: `python -m mmp_kedro.feature_store apply --env <env>`"
        ) from err
    if not views:
        # Feast creates an empty registry where none was applied yet.
        raise RecipeError(
            f"{recipe.path}: this env's feature store registry has no feature views: "
            "apply the feature definitions first: `python -m mmp_kedro.feature_store "
            "apply --env <env> --materialize` (`make data` on LOCAL)"
        )
    for index, group in enumerate(recipe.spec.augmenter.features):
        view = views.get(group.feature_namespace)
        if view is None:
            raise RecipeError(
                f"{recipe.path}: augmenter.features.{index}.feature_namespace "
                f"'{group.feature_namespace}' is not a feature view of this env's "
                f"feature store; known namespaces: {sorted(views)}"
            )
        known = {feature.name for feature in view.features}
        unknown = sorted(set(group.features) - known)
        if unknown:
            raise RecipeError(
                f"{recipe.path}: augmenter.features.{index}.features {unknown} are not "
                f"in namespace '{group.feature_namespace}'; it has {sorted(known)}"
            )
        _check_file_source(
            view, group.features, f"{recipe.path}: augmenter.features.{index}"
        )


def _check_file_source(view: Any, features: list[str], where: str) -> None:
    """A parquet feature table (LOCAL's file sources) holds the view's join keys,
    timestamp and the features asked for: Feast would fail deep in its join."""
    # Imported here: training's preflight needs them, the serving path never does.
    import pyarrow as pa
    import pyarrow.parquet as pq
    from feast import FileSource

    source = view.batch_source
    path = getattr(source, "path", None)
    if not isinstance(source, FileSource) or not path:
        return
    try:
        columns = set(pq.read_schema(path).names)
    except (OSError, pa.ArrowException) as err:
        raise RecipeError(
            f"{where}: the feature table {path} of namespace '{view.name}' cannot be "
            f"read ({str(err).splitlines()[0]}): run `make data` on LOCAL, or fix "
            "the file"
        ) from None
    needed = [
        *(column.name for column in view.entity_columns),
        source.timestamp_field,
        *features,
    ]
    missing = [column for column in needed if column not in columns]
    if missing:
        raise RecipeError(
            f"{where}: the feature table {path} of namespace '{view.name}' has no "
            f"column(s) {missing} (it has {sorted(columns)}): add them to the file, or "
            "declare the view as the file is in conf/base/feature_store.yml"
        )
