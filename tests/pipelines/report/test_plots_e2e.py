"""Every training run logs its plots to MLflow as readable ``plots/<name>.png`` files.

Uses the session's trained example recipes (``trained_runs``: `kedro run` on LOCAL).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import pytest
from project_helpers import mlflow_client

pytestmark = pytest.mark.e2e

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Every example recipe is tuned, and logs the tuning plots.
TUNING = {"optimization_history", "param_importances"}
EXPECTED_PLOTS = {
    "uplift_model_exp3": TUNING | {"uplift_curve", "qini_curve", "feature_importances"},
    "conversion_classifier": TUNING
    | {
        "roc_curve",
        "precision_recall_curve",
        "reliability_diagram",
        "confusion_matrix",
        "feature_importances",
    },
    "order_value_regression": TUNING
    | {"predicted_vs_actual", "residuals", "feature_importances"},
    # KMeans has neither feature_importances_ nor coef_.
    "session_segments": TUNING | {"cluster_sizes", "cluster_projection"},
}


@pytest.mark.parametrize("recipe", EXPECTED_PLOTS)
def test_training_run_logs_its_plots_as_png(
    local_project: Path, trained_runs: dict[str, str], recipe: str, tmp_path: Path
) -> None:
    run_id = trained_runs[recipe]
    client = mlflow_client(local_project)
    listed = client.list_artifacts(run_id, "plots")
    assert {a.path for a in listed} == {
        f"plots/{name}.png" for name in EXPECTED_PLOTS[recipe]
    }

    folder = Path(client.download_artifacts(run_id, "plots", str(tmp_path)))
    for name in EXPECTED_PLOTS[recipe]:
        path = folder / f"{name}.png"
        assert path.read_bytes().startswith(PNG_SIGNATURE), path
        image = matplotlib.image.imread(path)
        height, width = image.shape[:2]
        assert height > 100 and width > 100, (name, image.shape)
