"""Hook helpers that refuse a run before kedro-mlflow opens one (the hooks themselves
run in the end-to-end tests, through real Kedro sessions)."""

from __future__ import annotations

import pytest

from mmp_kedro.hooks import check_tuning_engine


@pytest.mark.parametrize("tuning", [{"engine": "optuna"}, {}])
def test_optuna_or_no_engine_is_accepted(tuning) -> None:
    check_tuning_engine(tuning)


def test_another_engine_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValueError, match=r"tuning\.engine 'hyperopt' .* \['optuna'\]"):
        check_tuning_engine({"engine": "hyperopt"})
