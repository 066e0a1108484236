"""``ensure_experiment``: one experiment however many first runs start at once."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from mmp_kedro.services.tracking import ensure_experiment


@pytest.fixture
def client(tmp_path) -> MlflowClient:
    return MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlruns.db'}")


def test_creates_the_experiment_once(client, tmp_path):
    location = (tmp_path / "artifacts").as_uri()
    created = ensure_experiment(client, "mmp-kedro", location, {"team": "growth"})
    assert ensure_experiment(client, "mmp-kedro") == created
    experiment = client.get_experiment(created)
    assert (experiment.name, experiment.artifact_location) == ("mmp-kedro", location)
    assert experiment.tags["team"] == "growth"
    assert len(client.search_experiments()) == 2  # with MLflow's Default


class _CreatedMeanwhile(MlflowClient):
    """Another process creates the experiment between our lookup and our create."""

    def get_experiment_by_name(self, name):
        if not getattr(self, "_looked_up", False):
            self._looked_up = True
            MlflowClient(self._tracking_client.tracking_uri).create_experiment(name)
            return None
        return super().get_experiment_by_name(name)


def test_an_experiment_created_meanwhile_is_used(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    experiment_id = ensure_experiment(_CreatedMeanwhile(tracking_uri=uri), "mmp-kedro")
    assert MlflowClient(uri).get_experiment_by_name("mmp-kedro").experiment_id == (
        experiment_id
    )


def test_other_refusals_are_raised(client):
    with pytest.raises(MlflowException, match="name"):
        ensure_experiment(client, "")
