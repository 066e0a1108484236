"""``OptunaStorageDataset``: the study storage URL for Optuna, never shown."""

from __future__ import annotations

from mmp_kedro.datasets import OptunaStorageDataset


def test_no_credentials_means_an_in_memory_study() -> None:
    dataset = OptunaStorageDataset()
    assert dataset.load() is None
    assert "in_memory=True" in str(dataset)


def test_the_url_reaches_optuna_but_not_the_description() -> None:
    url = "postgresql+psycopg://mmp:s3cret-0xBEEF@10.1.2.3:5432/optuna"
    dataset = OptunaStorageDataset(credentials={"storage": url})
    assert dataset.load() == url
    for shown in (str(dataset), repr(dataset)):
        assert "s3cret-0xBEEF" not in shown
