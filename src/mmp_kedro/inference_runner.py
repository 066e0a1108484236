"""The runner the artifact predicts with: Kedro's sequential runner, per call lean.

kedro-mlflow's ``KedroPipelineModel`` runs the inference pipeline (augment ->
transform -> predict) once per ``predict`` call: once per batch, but also once per
serving request. Kedro's ``SequentialRunner`` is built for whole runs: before any node
it materialises every dataset of the catalog, and every value passed between nodes
goes through a runtime ``MemoryDataset`` that copies DataFrames on each save and load.
For a one-row request that bookkeeping cost more than the nodes themselves.

``InferenceRunner`` runs the same nodes in the same (topological) order with the same
hooks around each node, and hands each node's outputs to the next ones as they are:
inference nodes build new frames and never modify their inputs. Batch inference and
serving both use it (it is the artifact's runner), so they stay one code path;
``params={"runner": "SequentialRunner"}`` still selects Kedro's own runner, and
``tests/test_inference_runner.py`` holds the two equal.
"""

from __future__ import annotations

from typing import Any

from kedro.framework.hooks.manager import _NullPluginManager
from kedro.io import CatalogProtocol, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner
from pluggy import PluginManager


class InferenceRunner(SequentialRunner):
    """Sequential, in-memory, no per-run warm-up: for small pipelines run many times."""

    def run(
        self,
        pipeline: Pipeline,
        catalog: CatalogProtocol,
        hook_manager: PluginManager | None = None,
        run_id: str | None = None,
        only_missing_outputs: bool = False,
    ) -> dict[str, Any]:
        """Run ``pipeline`` and return its free outputs as datasets, like Kedro's runners.

        Inputs not produced by an earlier node are loaded from ``catalog`` (a missing
        one raises Kedro's own ``DatasetNotFoundError`` naming it); node outputs stay
        in memory and are never copied.
        """
        hooks = (hook_manager or _NullPluginManager()).hook
        produced: dict[str, Any] = {}
        for node in pipeline.nodes:
            inputs = {
                name: produced[name] if name in produced else catalog.load(name)
                for name in node.inputs
            }
            # As in Kedro's Task: a before_node_run hook may replace inputs.
            for replaced in (
                hooks.before_node_run(
                    node=node,
                    catalog=catalog,
                    inputs=dict(inputs),
                    is_async=False,
                    run_id=run_id,
                )
                or []
            ):
                inputs.update(replaced or {})
            try:
                outputs = node.run(inputs)
            except Exception as exc:
                hooks.on_node_error(
                    error=exc,
                    node=node,
                    catalog=catalog,
                    inputs=inputs,
                    is_async=False,
                    run_id=run_id,
                )
                raise
            hooks.after_node_run(
                node=node,
                catalog=catalog,
                inputs=inputs,
                outputs=outputs,
                is_async=False,
                run_id=run_id,
            )
            produced.update(outputs)
        return {
            name: MemoryDataset(produced[name], copy_mode="assign")
            for name in pipeline.outputs()
        }
