"""``run_spine``: a trained run's id, its loader SQL snapshot, and the snapshot's rows
for this run's context parameters.

The start of every pipeline that works from a trained run. It has no namespace of its
own: each entry pipeline wraps it in its own, so the datasets between its nodes
(``run_id``, ``loader_sql``, ``spine`` or ``spine_chunks``) are that entry's.
"""

from kedro.pipeline import Node, Pipeline

from mmp_kedro.pipelines.run_spine.nodes import (
    fetch_loader_sql,
    load_batch_spine,
    load_spine_chunks,
    require_run_id,
)


def create_pipeline(in_chunks: bool = False, **kwargs) -> Pipeline:
    """With ``in_chunks`` the spine is ``spine_chunks``, read chunk by chunk as it is
    consumed, rather than ``spine``, the whole window in one frame."""
    load_spine = (
        Node(
            load_spine_chunks,
            inputs=[
                "spine_loader",
                "loader_sql",
                "parameters",
                "params:batch_scoring",
            ],
            outputs="spine_chunks",
            name="load_spine_chunks",
        )
        if in_chunks
        else Node(
            load_batch_spine,
            inputs=["spine_loader", "loader_sql", "parameters"],
            outputs="spine",
            name="load_batch_spine",
        )
    )
    return Pipeline(
        [
            Node(
                require_run_id,
                inputs=["params:run_id", "params:model_uri"],
                outputs="run_id",
                name="require_run_id",
            ),
            Node(
                fetch_loader_sql,
                inputs="run_id",
                outputs="loader_sql",
                name="fetch_loader_sql",
            ),
            load_spine,
        ]
    )
