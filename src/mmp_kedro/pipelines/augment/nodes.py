"""Augment nodes: the recipe's features joined onto the spine.

One node serves training, batch inference and serving; ``run_mode`` picks how the
features are read (point-in-time ``batch`` or latest ``serving`` values). The store
itself is bound by the process that runs the node: the artifact never carries
infrastructure.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mmp_kedro.feature_store.augmenter import augment, feature_store_disabled
from mmp_kedro.recipe import ResolvedRecipe
from mmp_kedro.spine import normalise_event_timestamp


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
    """The spine with the configured features joined (``run_mode`` batch:
    point-in-time; serving: latest values), row order and count unchanged.

    This is the artifact's first node: its ``event_timestamp`` may be naive UTC or
    time-zone aware (as DuckDB returns it), and leaves here as naive UTC.
    """
    return augment(normalise_event_timestamp(spine), augmenter_config, run_mode)
