"""``third_party_noise``: each library warning silenced by its message *and* the
module that issues it; everything shown again with the verbose setting."""

from __future__ import annotations

import warnings

import pytest

from mmp_kedro.services import third_party_noise
from mmp_kedro.services.third_party_noise import silence_third_party_noise

HINT = "Hint: Inferred schema contains integer column(s). Integer columns ..."


def _shown(message: str, category: type[Warning], module: str) -> bool:
    with warnings.catch_warnings(record=True) as caught:
        warnings.warn_explicit(message, category, f"{module}.py", 1, module=module)
    return bool(caught)


@pytest.fixture
def filters(monkeypatch):
    monkeypatch.delenv("MMP_VERBOSE", raising=False)
    monkeypatch.setattr("sys.argv", ["kedro", "run"])
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        yield


def test_a_known_warning_is_silenced_only_from_its_module(filters):
    silence_third_party_noise()
    assert not _shown(HINT, UserWarning, "mlflow.types.utils")
    # the same text from elsewhere, another text from there, another category
    assert _shown(HINT, UserWarning, "mmp_kedro.modeling")
    assert _shown("Something else is wrong", UserWarning, "mlflow.types.utils")
    assert _shown(HINT, RuntimeWarning, "mlflow.types.utils")


def test_the_filters_stay_in_front_of_feasts_own(filters):
    silence_third_party_noise()
    warnings.simplefilter("once", DeprecationWarning)  # what Feast's modules do
    silence_third_party_noise()  # the project session installs them again
    assert not _shown(
        "fetch_arrow_table() is deprecated, use to_arrow_table() instead.",
        DeprecationWarning,
        "ibis.backends.duckdb",
    )


@pytest.mark.parametrize("how", ["env", "flag"])
def test_verbose_shows_everything(filters, monkeypatch, how):
    if how == "env":
        monkeypatch.setenv("MMP_VERBOSE", "1")
    else:
        monkeypatch.setattr("sys.argv", ["kedro", "run", "--verbose"])
    silence_third_party_noise()
    assert _shown(HINT, UserWarning, "mlflow.types.utils")


def test_every_filter_names_a_message_and_a_module():
    for message, category, module in third_party_noise.WARNINGS:
        assert message and module and issubclass(category, Warning)
        assert category not in (Warning, UserWarning) or message
