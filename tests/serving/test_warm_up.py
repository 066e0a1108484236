"""The app is ready only once a warm-up prediction has answered."""

from __future__ import annotations

from typing import Any

import pandas as pd
import redis

from serving.app import WARM_UP_VALUES, LoadedArtifact, WarmUp


class FlakyPredictor:
    """Answers like a classifier's pipeline after ``failures`` refused calls."""

    def __init__(self, failures: int):
        self.failures = failures
        self.inputs: list[pd.DataFrame] = []

    def predict(self, frame: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
        self.inputs.append(frame)
        if self.failures:
            self.failures -= 1
            raise redis.exceptions.ConnectionError("online store down")
        return frame.assign(prediction=1, probability=0.75, age=float("nan"))


def _artifact(predictor: FlakyPredictor) -> LoadedArtifact:
    return LoadedArtifact(
        run_id="run",
        pipeline_model=None,
        predictor=predictor,  # type: ignore[arg-type]
        predict_params={},
        task_type="classification",
        request_fields={"user_id": str, "visits": int, "score": float, "vip": bool},
        label_columns=["label"],
        features_by_entity={"user_id": ["age"]},
        feature_columns=["age"],
        metadata={},
        optimization={},
        loader_sql="",
        augmenter_config={},
    )


def test_one_warm_up_prediction_makes_it_ready_and_is_not_repeated() -> None:
    predictor = FlakyPredictor(failures=0)
    warm = WarmUp(_artifact(predictor))
    assert not warm.done
    assert warm.try_once()
    assert warm.try_once()
    assert len(predictor.inputs) == 1
    sent = predictor.inputs[0].iloc[0]
    assert {name: sent[name] for name in ("user_id", "visits", "score", "vip")} == {
        "user_id": WARM_UP_VALUES[str],
        "visits": WARM_UP_VALUES[int],
        "score": WARM_UP_VALUES[float],
        "vip": WARM_UP_VALUES[bool],
    }


def test_a_failed_warm_up_is_not_ready_and_is_tried_again(caplog) -> None:
    predictor = FlakyPredictor(failures=2)
    warm = WarmUp(_artifact(predictor))
    assert not warm.try_once()
    assert not warm.try_once()
    assert "warm-up prediction failed: online store down" in caplog.text
    assert warm.try_once()
    assert warm.done
    assert len(predictor.inputs) == 3
