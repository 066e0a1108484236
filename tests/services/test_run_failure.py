"""``services.run_failure``: the real error behind kedro-mlflow's resume error, in a
line or two, logins hidden; the whole traceback in a file."""

from __future__ import annotations

from kedro_mlflow.pipeline.pipeline_ml import KedroMlflowPipelineMLError

from mmp_kedro.services.run_failure import (
    MESSAGE_LINES,
    failure_summary,
    real_error,
    write_traceback,
)


def _during(error: Exception) -> KedroMlflowPipelineMLError:
    try:
        try:
            raise error
        except Exception:
            raise KedroMlflowPipelineMLError("free inputs: augmenter_config")  # noqa: B904
    except KedroMlflowPipelineMLError as resume:
        return resume


def test_the_real_error_is_the_one_kedro_mlflow_raised_during():
    original = ValueError("target has one value")
    original.add_note("in node 'tune.split_train_test'")
    wrapped = _during(original)
    assert real_error(wrapped) is original
    assert failure_summary(wrapped) == (
        "Run failed in node 'tune.split_train_test': ValueError: target has one value"
    )


def test_an_error_of_its_own_is_kept():
    error = KedroMlflowPipelineMLError("both name and artifact_path")
    assert real_error(error) is error


def test_no_node_no_login_and_a_few_lines_only():
    message = "\n".join(
        ["cannot reach postgresql://ml:s3cret@db/ml", *map(str, range(20))]
    )
    summary = failure_summary(RuntimeError(message))
    assert summary.startswith(
        "Run failed: RuntimeError: cannot reach postgresql://***@db"
    )
    assert "s3cret" not in summary
    assert len(summary.splitlines()) == MESSAGE_LINES + 1
    assert summary.endswith(f"({21 - MESSAGE_LINES} more lines in the traceback)")


def test_the_traceback_file_has_the_whole_chain(tmp_path):
    path = write_traceback(
        _during(ValueError("s3cret-free")), tmp_path / "logs" / "e.log"
    )
    text = path.read_text()
    assert "ValueError: s3cret-free" in text
    assert "KedroMlflowPipelineMLError" in text
