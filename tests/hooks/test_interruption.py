"""``RunInterruptionHook``: SIGINT and SIGTERM unwind a run as Ctrl-C does, and the
run left open ends KILLED (FAILED without a signal) with the reason as a tag."""

from __future__ import annotations

import logging
import os
import signal

import mlflow
import pytest
from kedro.pipeline import Node

from mmp_kedro.artifact.contract import END_REASON_TAG
from mmp_kedro.hooks.interruption import RunInterruptionHook


def _identity(value):
    return value


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_node_ends_the_run_killed_naming_signal_and_node(
    tracking_store, signum
):
    hook = RunInterruptionHook()
    run = mlflow.start_run()
    hook.before_pipeline_run()
    hook.before_node_run(Node(_identity, "a", "b", name="tune_hyperparameters"))
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signum)
    hook.end_open_run()
    hook.after_pipeline_run()  # puts the handlers back

    assert mlflow.active_run() is None
    ended = tracking_store.get_run(run.info.run_id)
    assert ended.info.status == "KILLED"
    assert ended.data.tags[END_REASON_TAG] == (
        f"interrupted by {signal.Signals(signum).name} "
        "during node 'tune_hyperparameters'"
    )


def test_the_previous_handlers_are_back_after_the_run():
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    hook = RunInterruptionHook()
    hook.before_pipeline_run()
    assert signal.getsignal(signal.SIGTERM) != before[signal.SIGTERM]
    hook.on_pipeline_error()
    assert {s: signal.getsignal(s) for s in before} == before


def test_a_run_cut_short_without_a_signal_ends_failed(tracking_store):
    hook = RunInterruptionHook()
    run = mlflow.start_run()
    hook.before_pipeline_run()  # and then SystemExit, say: no pipeline hook ran
    hook.end_open_run()
    ended = tracking_store.get_run(run.info.run_id)
    assert ended.info.status == "FAILED"
    assert ended.data.tags[END_REASON_TAG] == "the process ended before the run did"
    hook.after_pipeline_run()


def test_the_run_of_a_pipeline_that_ended_is_left_to_kedro_mlflow(tracking_store):
    hook = RunInterruptionHook()
    run = mlflow.start_run()
    hook.before_pipeline_run()
    hook.after_pipeline_run()
    hook.end_open_run()
    assert mlflow.active_run().info.run_id == run.info.run_id
    assert END_REASON_TAG not in tracking_store.get_run(run.info.run_id).data.tags
    mlflow.end_run()


def test_nothing_happens_when_no_run_is_open(tracking_store, caplog):
    hook = RunInterruptionHook()
    hook.before_pipeline_run()  # a pipeline cut short: only the missing run is left
    try:
        with caplog.at_level(logging.WARNING, logger="mmp_kedro"):
            hook.end_open_run()
    finally:
        hook.after_pipeline_run()
    assert mlflow.active_run() is None
    experiment = tracking_store.get_experiment_by_name("tests").experiment_id
    assert tracking_store.search_runs([experiment]) == []  # no run started to end
    assert [r for r in caplog.records if r.name.startswith("mmp_kedro")] == []


def test_a_run_on_the_stack_twice_stays_killed(tracking_store):
    run = mlflow.start_run()
    mlflow.start_run(run_id=run.info.run_id, nested=True)  # as kedro-mlflow does
    hook = RunInterruptionHook()
    hook.before_pipeline_run()
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
    hook.end_open_run()
    hook.after_pipeline_run()
    assert mlflow.active_run() is None
    assert tracking_store.get_run(run.info.run_id).info.status == "KILLED"
