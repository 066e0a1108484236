"""The runner the artifact predicts with: Kedro's sequential runner, per call lean.

``InferenceRunner`` runs the same nodes in the same (topological) order with the same
node hooks (``before_node_run``, which may replace inputs, ``after_node_run``,
``on_node_error``; no dataset hooks) when the hook manager has any plugins, and hands
each node's outputs to the next ones in memory: inference nodes build new frames and
never modify their inputs. It returns the pipeline's outputs and saves nothing, which
is all ``KedroPipelineModel`` asks of a runner; it is not meant for ``kedro run``.

Batch inference and serving both use it (it is the artifact's runner), so they stay
one code path; ``params={"runner": "SequentialRunner"}`` still selects Kedro's own
runner, and the tests hold the two equal. Why it exists: :mod:`mmp_kedro.runtime`.
"""

from __future__ import annotations

from typing import Any

# Private, but what Kedro's own runners use when no hook manager is given.
from kedro.framework.hooks.manager import _NullPluginManager
from kedro.io import CatalogProtocol, MemoryDataset
from kedro.pipeline import Node, Pipeline
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
        manager = hook_manager or _NullPluginManager()
        # KedroPipelineModel passes a manager without plugins: dispatching to it would
        # only run pluggy's tracing, six times per call.
        if not manager.get_plugins():
            return self._run_without_hooks(pipeline, catalog)
        hooks = manager.hook
        produced: dict[str, Any] = {}
        for node in pipeline.nodes:
            inputs = self._node_inputs(node, produced, catalog)
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
        return self._outputs(pipeline, produced)

    def _run_without_hooks(
        self, pipeline: Pipeline, catalog: CatalogProtocol
    ) -> dict[str, Any]:
        inputs = {name: catalog.load(name) for name in pipeline.inputs()}
        return self._outputs(pipeline, self.run_nodes(pipeline, inputs))

    @staticmethod
    def run_nodes(pipeline: Pipeline, inputs: dict[str, Any]) -> dict[str, Any]:
        """Every node of ``pipeline`` in order, fed from ``inputs`` and the outputs of
        earlier nodes, without hooks; the pipeline's outputs as plain values.

        For a caller holding every input in memory already (a server): the same node
        calls as :meth:`run`, without a catalog lookup per input.
        """
        produced = dict(inputs)
        for node in pipeline.nodes:
            produced.update(node.run({name: produced[name] for name in node.inputs}))
        return {name: produced[name] for name in pipeline.outputs()}

    @staticmethod
    def _node_inputs(
        node: Node, produced: dict[str, Any], catalog: CatalogProtocol
    ) -> dict[str, Any]:
        return {
            name: produced[name] if name in produced else catalog.load(name)
            for name in node.inputs
        }

    @staticmethod
    def _outputs(pipeline: Pipeline, produced: dict[str, Any]) -> dict[str, Any]:
        return {
            name: MemoryDataset(produced[name], copy_mode="assign")
            for name in pipeline.outputs()
        }
