"""The package ``predict`` node: the spine's rows plus the task's prediction columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from mmp_kedro.modeling.estimator import TrainedModel
from mmp_kedro.pipelines.predict.nodes import predict


def _model() -> TrainedModel:
    X = np.array([[0.0], [1.0], [2.0], [3.0]])  # noqa: N806
    estimator = LogisticRegression().fit(X, [0, 0, 1, 1])
    return TrainedModel(
        estimator=estimator,
        task_type="classification",
        class_path="sklearn.linear_model.LogisticRegression",
        hyperparameters={},
        feature_names=["x"],
    )


def _frames(extra: dict | None = None) -> tuple[pd.DataFrame, ...]:
    # Labelled 5..7, as a spine sliced from a larger one would be.
    spine = pd.DataFrame({"user_id": ["a", "b", "c"], **(extra or {})}, index=[5, 6, 7])
    augmented = spine.reset_index(drop=True).assign(x=[0.0, 3.0, 1.5])
    return spine, augmented, augmented[["x"]]


@pytest.mark.parametrize("return_intermediate", [False, True])
def test_predictions_follow_the_spines_rows(return_intermediate: bool) -> None:
    spine, augmented, features = _frames()
    output = predict(spine, augmented, features, _model(), return_intermediate)
    expected = ["user_id", "x"] if return_intermediate else ["user_id"]
    assert list(output.columns) == [*expected, "prediction", "probability"]
    assert list(output.index) == [0, 1, 2]
    assert output["user_id"].tolist() == ["a", "b", "c"]
    assert output["prediction"].tolist() == [0, 1, int(output["probability"][2] > 0.5)]


def test_a_spine_column_named_like_a_prediction_is_refused() -> None:
    spine, augmented, features = _frames({"probability": [0.1, 0.2, 0.3]})
    with pytest.raises(ValueError, match=r"\['probability'\].*loader SQL"):
        predict(spine, augmented, features, _model(), False)
