"""``params:training`` and ``params:tuning`` as typed models: every env's YAML
validates, and each mistake is refused naming the dotted key and the file."""

from __future__ import annotations

from typing import Any

import pytest
from project_helpers import PROJECT_ROOT

from mmp_kedro.config.loader import config_loader
from mmp_kedro.config.training import (
    ParametersError,
    TrainingParams,
    TuningParams,
    ValidationParams,
)

FILE = "parameters_training.yml"


def env_parameters(env: str) -> dict[str, Any]:
    return config_loader(PROJECT_ROOT, env)["parameters"]


def base_tuning(**changes: Any) -> dict[str, Any]:
    return {**env_parameters("local")["tuning"], **changes}


@pytest.mark.parametrize("env", ["local", "dev", "prod"])
def test_every_env_validates(env):
    parameters = env_parameters(env)
    training = TrainingParams.model_validate(parameters["training"])
    tuning = TuningParams.model_validate(parameters["tuning"])
    assert 0 < training.test_ratio < 1
    assert tuning.engine == "optuna"
    assert tuning.pruning.options, "the pruner's own arguments are kept"


def test_optuna_is_accepted():
    assert TuningParams.model_validate(base_tuning(engine="optuna")).engine == "optuna"


def test_another_engine_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValueError, match=r"tuning\.engine 'hyperopt' .* \['optuna'\]"):
        TuningParams.model_validate(base_tuning(engine="hyperopt"))


def test_a_missing_key_is_named_with_the_file():
    tuning = base_tuning()
    del tuning["engine"]
    with pytest.raises(ParametersError) as raised:
        TuningParams.model_validate(tuning)
    assert "tuning.engine: required key is missing" in str(raised.value)
    assert FILE in str(raised.value)


def test_an_unknown_key_is_refused():
    with pytest.raises(ParametersError, match=r"training\.cv_fold: unknown key"):
        TrainingParams.model_validate(
            {"test_ratio": 0.2, "cv_fold": 3, "cv_folds": 3, "random_state": 1}
        )


def test_every_problem_is_listed():
    with pytest.raises(ParametersError) as raised:
        TrainingParams.model_validate(
            {"test_ratio": 1.5, "cv_folds": 1, "random_state": 1, "validation": RANDOM}
        )
    message = str(raised.value)
    assert "invalid 'training' (2 problem(s))" in message
    assert "training.test_ratio: Input should be less than 1, got 1.5" in message
    assert "training.cv_folds: Input should be greater than or equal to 2" in message


NO_CALIBRATION = {"method": "none", "ratio": 0.2}
RANDOM = {"split": "random", "group_col": None, "calibration": NO_CALIBRATION}


def training_with_validation(validation: dict[str, Any]) -> TrainingParams:
    return TrainingParams.model_validate(
        {"test_ratio": 0.2, "cv_folds": 3, "random_state": 1, "validation": validation}
    )


def test_a_group_split_needs_its_column():
    with pytest.raises(ParametersError) as raised:
        training_with_validation({**RANDOM, "split": "group"})
    assert "training.validation: split 'group' needs group_col" in str(raised.value)


def test_an_unknown_split_names_the_choices():
    with pytest.raises(ParametersError) as raised:
        training_with_validation({**RANDOM, "split": "by_time"})
    assert (
        "training.validation.split 'by_time' is not supported: use one of "
        "['random', 'temporal', 'group']"
    ) in str(raised.value)


def test_a_recipe_overrides_the_validation_defaults_field_by_field():
    defaults = ValidationParams.model_validate(RANDOM)
    assert defaults.overridden_by({"split": "temporal"}).split == "temporal"
    grouped = defaults.overridden_by({"split": "group", "group_col": "user_id"})
    assert (grouped.split, grouped.group_col) == ("group", "user_id")
    assert defaults.overridden_by({}) == defaults
    calibrated = defaults.overridden_by({"calibration": {"method": "isotonic"}})
    assert calibrated.calibration.model_dump() == {"method": "isotonic", "ratio": 0.2}


def test_pruner_arguments_are_checked_against_the_pruner():
    pruning = {"enabled": True, "algorithm": "MedianPruner", "n_startup_trails": 5}
    with pytest.raises(ParametersError) as raised:
        TuningParams.model_validate(base_tuning(pruning=pruning))
    assert "tuning.pruning: ['n_startup_trails'] are not arguments of" in str(
        raised.value
    )
    assert "'n_startup_trials'" in str(raised.value)


def test_an_unknown_pruner_is_refused():
    pruning = {"enabled": True, "algorithm": "MedianPrunr"}
    with pytest.raises(ParametersError, match=r"'MedianPrunr' is not an optuna"):
        TuningParams.model_validate(base_tuning(pruning=pruning))
