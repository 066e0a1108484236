"""``params:training`` and ``params:tuning``, typed: how an env constrains training.

Kedro validates a node's ``params:`` input against the pydantic model its type hint
names, once, before any node runs (and so before kedro-mlflow opens a run). The
YAML (``conf/base/parameters_training.yml``, overridden per env) is the one place a
value is set: no field has a default here.
"""

from __future__ import annotations

import inspect
import typing
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

CONF_FILE = "conf/<env>/parameters_training.yml (or conf/base/)"


class ParametersError(ValueError):
    """A parameters section that does not validate, naming the keys and the file."""


class ParametersSection(BaseModel):
    """A parameters section: unknown keys refused, errors naming key and file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The top-level key of the section in the parameters files.
    conf_key: ClassVar[str]
    #: The parameters file that sets it.
    conf_file: ClassVar[str] = CONF_FILE

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Any:
        """Validate ``obj``; every problem is one line naming its dotted key.

        Raises:
            ParametersError: the section does not validate.
        """
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as err:
            raise ParametersError(_describe(cls, err)) from None


SplitStrategy = Literal["random", "temporal", "group"]
CalibrationMethod = Literal["isotonic", "sigmoid", "none"]


class CalibrationParams(BaseModel):
    """``training.validation.calibration``: how a classifier's probabilities are
    calibrated, on rows of the train split the model is not fitted on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: CalibrationMethod
    #: The share of the train split held out to fit the calibrator.
    ratio: Annotated[float, Field(gt=0, lt=1)]


class ValidationParams(BaseModel):
    """``training.validation``: how the test split and the tuning folds are drawn.

    ``random`` (stratified where the task has classes), ``temporal`` (the test split
    is the latest rows by ``event_timestamp``, folds chain forward in time) or
    ``group`` (no value of ``group_col`` on both sides of a split); and whether a
    classifier's probabilities are calibrated. A recipe's own ``validation`` section
    overrides these defaults field by field.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    split: SplitStrategy
    group_col: str | None
    calibration: CalibrationParams

    @model_validator(mode="after")
    def _group_needs_its_column(self) -> ValidationParams:
        if self.split == "group" and not self.group_col:
            raise ValueError(
                "split 'group' needs group_col (the entity key no split may share, "
                "e.g. user_id)"
            )
        return self

    def overridden_by(self, overrides: dict[str, Any]) -> ValidationParams:
        """These defaults with a recipe's ``validation`` fields laid over them
        (``calibration`` field by field too)."""
        merged = {**self.model_dump(), **overrides}
        merged["calibration"] = {
            **self.calibration.model_dump(),
            **overrides.get("calibration", {}),
        }
        return self.model_validate(merged)


class TrainingParams(ParametersSection):
    """``training``: how rows are split for tuning and the final score."""

    conf_key: ClassVar[str] = "training"

    test_ratio: Annotated[float, Field(gt=0, lt=1)]
    cv_folds: Annotated[int, Field(ge=2)]
    random_state: int
    validation: ValidationParams


class PruningParams(BaseModel):
    """``tuning.pruning``: an ``optuna.pruners`` class and its keyword arguments.

    The arguments differ per pruner, so they are checked against the class's own
    signature: a name it does not take is refused like an unknown key.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    enabled: bool
    algorithm: str

    @property
    def options(self) -> dict[str, Any]:
        """The pruner's keyword arguments (every key but ``enabled``/``algorithm``)."""
        return dict(self.model_extra or {})

    @model_validator(mode="after")
    def _known_pruner(self) -> PruningParams:
        import optuna  # only where tuning is configured

        pruner_class = getattr(optuna.pruners, self.algorithm, None)
        if not inspect.isclass(pruner_class):
            known = sorted(n for n in dir(optuna.pruners) if n.endswith("Pruner"))
            raise ValueError(
                f"algorithm '{self.algorithm}' is not an optuna.pruners class; "
                f"use one of {known}"
            )
        accepted = set(inspect.signature(pruner_class).parameters)
        unknown = sorted(set(self.options) - accepted)
        if unknown:
            raise ValueError(
                f"{unknown} are not arguments of optuna.pruners.{self.algorithm}; "
                f"it takes {sorted(accepted)}"
            )
        return self


class TuningParams(ParametersSection):
    """``tuning``: the env's limits on the search the recipe asks for."""

    conf_key: ClassVar[str] = "tuning"

    engine: Literal["optuna"]
    #: Wall-clock limit of the search; the recipe's n_trials may end it earlier.
    timeout_seconds: Annotated[float, Field(gt=0)] | None
    #: Threads of this process running trials.
    n_jobs: Annotated[int, Field(ge=1)]
    #: Processes joining one study (needs an RDB ``optuna_storage``).
    workers: Annotated[int, Field(ge=1)]
    study_name: str | None
    pruning: PruningParams


def _describe(model: type[ParametersSection], err: ValidationError) -> str:
    lines = [
        f"{model.conf_file}: invalid '{model.conf_key}' ({err.error_count()} problem(s))"
    ]
    for problem in err.errors():
        location = ".".join(str(part) for part in (model.conf_key, *problem["loc"]))
        kind = problem["type"]
        if kind == "literal_error":
            choices = list(typing.get_args(_annotation(model, problem["loc"])))
            lines.append(
                f"  - {location} {problem['input']!r} is not supported: use one of "
                f"{choices}"
            )
            continue
        if kind == "extra_forbidden":
            message = "unknown key (check its spelling and section)"
        elif kind == "missing":
            message = "required key is missing"
        else:
            message = str(problem["msg"]).removeprefix("Value error, ")
            if "input" in problem and kind != "value_error":
                message = f"{message}, got {problem['input']!r}"
        lines.append(f"  - {location}: {message}")
    return "\n".join(lines)


def _annotation(model: type[BaseModel], location: tuple[Any, ...]) -> Any:
    """The type annotation of the field at ``location`` (nested models followed)."""
    annotation: Any = model
    for part in location:
        annotation = annotation.model_fields[part].annotation
    return annotation
