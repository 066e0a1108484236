"""Names the node a run failed in: on its error, and on the MLflow run."""

from __future__ import annotations

import mlflow
from kedro.framework.hooks import hook_impl
from kedro.pipeline.node import Node

from mmp_kedro.artifact.contract import END_REASON_TAG
from mmp_kedro.services.redaction import redacted_text
from mmp_kedro.services.run_failure import NODE_NOTE_PREFIX


class NodeFailureHook:
    """``in node '<name>'`` as a note on the node's error (read by ``kedro run``'s
    one-line summary), and ``mmp.end_reason`` on the MLflow run it fails."""

    @hook_impl
    def on_node_error(self, error: Exception, node: Node) -> None:
        error.add_note(f"{NODE_NOTE_PREFIX}'{node.name}'")
        if mlflow.active_run() is not None:
            first_line = (str(error).strip().splitlines() or [""])[0]
            mlflow.set_tag(
                END_REASON_TAG,
                redacted_text(
                    f"node '{node.name}' failed: {type(error).__name__}: {first_line}"
                )[:500],
            )
