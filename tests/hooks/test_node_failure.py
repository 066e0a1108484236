"""``NodeFailureHook``: the failing node's name on its error and on the MLflow run."""

from __future__ import annotations

import mlflow
from kedro.pipeline import Node

from mmp_kedro.artifact.contract import END_REASON_TAG
from mmp_kedro.hooks.node_failure import NodeFailureHook


def _identity(value):
    return value


NODE = Node(_identity, "a", "b", name="split_train_test", namespace="tune")


def test_the_error_gets_the_node_as_a_note_and_the_run_the_reason(tracking_store):
    error = ValueError("target 'converted' has one value\nsecond line")
    with mlflow.start_run() as run:
        NodeFailureHook().on_node_error(error, NODE)
    assert error.__notes__ == ["in node 'tune.split_train_test'"]
    tags = tracking_store.get_run(run.info.run_id).data.tags
    assert tags[END_REASON_TAG] == (
        "node 'tune.split_train_test' failed: ValueError: target 'converted' has one value"
    )


def test_a_login_in_the_error_never_reaches_the_run(tracking_store):
    error = RuntimeError("could not connect to postgresql://ml:s3cret@db/ml")
    with mlflow.start_run() as run:
        NodeFailureHook().on_node_error(error, NODE)
    assert (
        "s3cret"
        not in tracking_store.get_run(run.info.run_id).data.tags[END_REASON_TAG]
    )


def test_without_a_run_only_the_note_is_added(tracking_store):
    error = KeyError("x")
    NodeFailureHook().on_node_error(error, NODE)
    assert error.__notes__ == ["in node 'tune.split_train_test'"]
    assert mlflow.active_run() is None
    experiment = tracking_store.get_experiment_by_name("tests").experiment_id
    assert tracking_store.search_runs([experiment]) == []  # no run opened for a tag
