"""The runner the artifact predicts with: Kedro's sequential runner, per call lean.

kedro-mlflow's ``KedroPipelineModel`` runs the inference pipeline (augment ->
transform -> predict) once per ``predict`` call: once per batch, but also once per
serving request. Kedro's ``SequentialRunner`` is built for whole runs: before any node
it resolves every dataset of the pipeline against the catalog, then wraps each node in
a ``Task`` that dispatches dataset hooks around every load and save, and releases
datasets as it goes. For a one-row request that bookkeeping cost about as much as the
nodes themselves.

``InferenceRunner`` runs the same nodes in the same (topological) order with the same
node hooks (``before_node_run``, which may replace inputs, ``after_node_run``,
``on_node_error``; no dataset hooks), and hands each node's outputs to the next ones
in memory: inference nodes build new frames and never modify their inputs. It returns
the pipeline's outputs and saves nothing, which is all ``KedroPipelineModel`` asks
of a runner; it is not meant for ``kedro run``.

Batch inference and serving both use it (it is the artifact's runner), so they stay
one code path; ``params={"runner": "SequentialRunner"}`` still selects Kedro's own
runner, and the tests hold the two equal.
"""

from __future__ import annotations

from typing import Any

# Private, but what Kedro's own runners use when no hook manager is given.
from kedro.framework.hooks.manager import _NullPluginManager
from kedro.io import CatalogProtocol, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner
from pluggy import PluginManager


class InferenceRunner(SequentialRunner):
    """Sequential and in memory, no per-run warm-up: for a small pipeline run often."""

    def run(
        self,
        pipeline: Pipeline,
        catalog: CatalogProtocol,
        hook_manager: PluginManager | None = None,
        run_id: str | None = None,
        only_missing_outputs: bool = False,
    ) -> dict[str, Any]:
        """Run ``pipeline`` and return its outputs as datasets, like Kedro's runners.

        Inputs not produced by an earlier node are loaded from ``catalog``; node
        outputs stay in memory and are never copied.

        Raises:
            ValueError: a pipeline input is not in ``catalog`` (before any node runs).
            NotImplementedError: ``only_missing_outputs`` or an async runner.
        """
        if only_missing_outputs or self._is_async:
            raise NotImplementedError(
                "InferenceRunner runs every node synchronously; use SequentialRunner "
                "for only_missing_outputs or is_async"
            )
        missing = sorted(name for name in pipeline.inputs() if name not in catalog)
        if missing:
            raise ValueError(f"Pipeline input(s) {missing} not found in the catalog")
        hooks = (hook_manager or _NullPluginManager()).hook
        produced: dict[str, Any] = {}
        for node in pipeline.nodes:
            inputs = {
                name: produced[name] if name in produced else catalog.load(name)
                for name in node.inputs
            }
            context = {
                "node": node,
                "catalog": catalog,
                "is_async": False,
                "run_id": run_id,
            }
            # As in Kedro's Task: a before_node_run hook may replace inputs.
            for replaced in hooks.before_node_run(inputs=dict(inputs), **context) or []:
                inputs.update(replaced or {})
            try:
                outputs = node.run(inputs)
            except Exception as exc:
                hooks.on_node_error(error=exc, inputs=inputs, **context)
                raise
            hooks.after_node_run(inputs=inputs, outputs=outputs, **context)
            produced.update(outputs)
        return {
            name: MemoryDataset(produced[name], copy_mode="assign")
            for name in pipeline.outputs()
        }
