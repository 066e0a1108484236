"""The recipe schema: what a data scientist may write in ``recipes/<name>.yaml``.

Every model forbids unknown keys, so a typo fails with the field's path instead of
being silently ignored. Checks that need the outside world (importing the model
class, reading the SQL file, asking the feature store) live in
:mod:`mmp_kedro.recipe.loader`.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

TaskType = Literal["classification", "regression", "causal", "clustering"]

#: The columns each task's predictions are written to, in order: in batch output
#: beside the spine (and the features), and as the fields of a serving response.
PREDICTION_COLUMNS: dict[str, list[str]] = {
    "classification": ["prediction", "probability"],
    "regression": ["prediction"],
    "causal": ["uplift_score"],
    "clustering": ["cluster"],
}
Direction = Literal["maximize", "minimize"]

#: Metrics each task computes on the held-out test split, with the direction in
#: which they improve. The tuning metric must be one of its task's metrics.
TASK_METRICS: dict[str, dict[str, Direction]] = {
    "classification": {
        "roc_auc": "maximize",
        "accuracy": "maximize",
        "f1": "maximize",
        "precision": "maximize",
        "recall": "maximize",
        "log_loss": "minimize",
    },
    "regression": {"rmse": "minimize", "mae": "minimize", "r2": "maximize"},
    "causal": {"auuc": "maximize", "qini": "maximize"},
    "clustering": {
        "silhouette": "maximize",
        "calinski_harabasz": "maximize",
        "davies_bouldin": "minimize",
    },
}

#: The metric tuned when a recipe enables tuning without naming one.
DEFAULT_TUNING_METRIC: dict[str, str] = {
    "classification": "roc_auc",
    "regression": "rmse",
    "causal": "auuc",
    "clustering": "silhouette",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SearchRange(_Strict):
    """An Optuna search range: ``{type: int|float|categorical, low, high, log, choices}``."""

    type: Literal["int", "float", "categorical"]
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: list[Any] | None = None

    @model_validator(mode="after")
    def _check_bounds(self) -> SearchRange:
        if self.type == "categorical":
            if not self.choices:
                raise ValueError("a categorical range needs a non-empty 'choices' list")
            if self.low is not None or self.high is not None:
                raise ValueError("a categorical range takes 'choices', not low/high")
            return self
        if self.low is None or self.high is None:
            raise ValueError(f"an {self.type} range needs both 'low' and 'high'")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError("low and high must be finite numbers")
        if self.low > self.high:
            raise ValueError(f"low ({self.low:g}) must be <= high ({self.high:g})")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0, got low={self.low:g}")
        if self.type == "int" and (
            self.low != int(self.low) or self.high != int(self.high)
        ):
            raise ValueError("an int range needs whole-number low and high")
        if self.choices is not None:
            raise ValueError(f"an {self.type} range takes low/high, not 'choices'")
        if self.step is not None:
            if not (math.isfinite(self.step) and self.step > 0):
                raise ValueError(f"step must be > 0, got step={self.step:g}")
            if self.type == "int" and self.step != int(self.step):
                raise ValueError(
                    f"an int range needs a whole-number step, got {self.step:g}"
                )
        return self


def _as_search_range(value: Any) -> SearchRange | Any:
    """Dicts with a ``type`` key are search ranges; anything else is a fixed value."""
    if isinstance(value, dict) and "type" in value:
        try:
            return SearchRange.model_validate(value)
        except ValidationError as err:
            raise ValueError(_first_message(err)) from None
    return value


#: A hyperparameter: a fixed value, or a search range (errors located per name).
Hyperparameter = Annotated[Any, BeforeValidator(_as_search_range)]


class ModelSpec(_Strict):
    """``model``: the class to import and its hyperparameters (fixed or ranges)."""

    class_path: Annotated[str, Field(min_length=3, pattern=r"^\w+(\.\w+)+$")]
    hyperparameters: dict[str, Hyperparameter] = Field(default_factory=dict)

    @property
    def search_space(self) -> dict[str, SearchRange]:
        return {
            k: v for k, v in self.hyperparameters.items() if isinstance(v, SearchRange)
        }

    @property
    def fixed_hyperparameters(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.hyperparameters.items()
            if not isinstance(v, SearchRange)
        }

    @property
    def class_name(self) -> str:
        return self.class_path.rsplit(".", 1)[-1]


class TuningSpec(_Strict):
    """``hyperparameter_tuning``: the experiment's logic (the env sets the timeout)."""

    enabled: bool = False
    n_trials: Annotated[int, Field(ge=1, le=10_000)] = 20
    metric: str | None = None
    direction: Direction | None = None


class LoaderSpec(_Strict):
    """``loader``: the SQL file that defines the entity spine."""

    source_uri: Annotated[str, Field(min_length=1)]
    #: Rows repeating another row's entity keys and event_timestamp are refused
    #: unless this says they are meant.
    allow_duplicate_rows: bool = False


class FeatureRef(_Strict):
    """One feature view (namespace) and the features taken from it."""

    feature_namespace: Annotated[str, Field(min_length=1)]
    features: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


class AugmenterSpec(_Strict):
    """``augmenter``: which feature-store features join the spine."""

    type: Literal["feature_store", "pass_through"] = "pass_through"
    features: list[FeatureRef] = Field(default_factory=list)

    @model_validator(mode="after")
    def _features_match_type(self) -> AugmenterSpec:
        if self.type == "feature_store" and not self.features:
            raise ValueError("type 'feature_store' needs a non-empty 'features' list")
        if self.type == "pass_through" and self.features:
            raise ValueError("type 'pass_through' takes no 'features'")
        names = self.feature_names
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(
                f"feature names must be unique across namespaces: {duplicated}"
            )
        return self

    @property
    def feature_names(self) -> list[str]:
        """The features' names, which are their columns in the joined spine."""
        return [f for ref in self.features for f in ref.features]

    @property
    def feature_refs(self) -> list[str]:
        """Feast feature references, ``namespace:feature``."""
        return [
            f"{ref.feature_namespace}:{f}"
            for ref in self.features
            for f in ref.features
        ]


class PreprocessorParams(_Strict):
    """``preprocessor.params``."""

    exclude_cols: list[str] = Field(default_factory=list)
    criterion_col: str | None = None


class PreprocessorSpec(_Strict):
    """``preprocessor``: scaling/encoding fitted on the training rows only."""

    name: Literal["simple_scaler"] = "simple_scaler"
    params: PreprocessorParams = Field(default_factory=PreprocessorParams)


class DataInterfaceSpec(_Strict):
    """``data_interface``: the task and the roles of the spine's columns."""

    task_type: TaskType
    target_col: str | None = None
    treatment_col: str | None = None
    treatment_value: str | int | float | bool | None = None
    #: The value(s) of treatment_col that mark control rows; needed when the column
    #: has more than one value besides treatment_value.
    control_value: str | int | float | bool | list[str | int | float | bool] | None = (
        None
    )

    @model_validator(mode="after")
    def _columns_for_task(self) -> DataInterfaceSpec:
        if self.task_type != "clustering" and not self.target_col:
            raise ValueError(f"task_type '{self.task_type}' needs 'target_col'")
        if self.task_type == "causal":
            if not self.treatment_col:
                raise ValueError("task_type 'causal' needs 'treatment_col'")
            if self.treatment_value is None:
                raise ValueError(
                    "task_type 'causal' needs 'treatment_value' (the value of "
                    "treatment_col that marks treated rows)"
                )
            if str(self.treatment_value) in {str(c) for c in self.control_values}:
                raise ValueError("control_value must differ from treatment_value")
        elif (
            self.treatment_col
            or self.treatment_value is not None
            or self.control_value is not None
        ):
            raise ValueError(
                f"treatment_col/treatment_value/control_value only apply to task_type "
                f"'causal', not '{self.task_type}'"
            )
        if self.target_col and self.target_col == self.treatment_col:
            raise ValueError("target_col and treatment_col must differ")
        return self

    @property
    def control_values(self) -> list[str | int | float | bool]:
        """The named control values (empty: the one other value is control)."""
        if self.control_value is None:
            return []
        if isinstance(self.control_value, list):
            return list(self.control_value)
        return [self.control_value]

    @property
    def label_columns(self) -> list[str]:
        """Columns that are never model features (target and treatment)."""
        return [c for c in (self.target_col, self.treatment_col) if c]


class CalibrationSpec(_Strict):
    """``validation.calibration``: this recipe's own probability calibration."""

    method: Literal["isotonic", "sigmoid", "none"] | None = None
    ratio: Annotated[float, Field(gt=0, lt=1)] | None = None


class ValidationSpec(_Strict):
    """``validation``: this recipe's own split strategy; a field left out keeps the
    env's ``training.validation`` default (``conf/<env>/parameters_training.yml``)."""

    split: Literal["random", "temporal", "group"] | None = None
    #: The entity key no split may share (``split: group``), a spine column.
    group_col: Annotated[str, Field(min_length=1)] | None = None
    calibration: CalibrationSpec | None = None

    @property
    def overrides(self) -> dict[str, Any]:
        """The fields this recipe sets."""
        return self.model_dump(exclude_none=True)


class Recipe(_Strict):
    """A whole recipe file."""

    model: ModelSpec
    hyperparameter_tuning: TuningSpec = Field(default_factory=TuningSpec)
    loader: LoaderSpec
    augmenter: AugmenterSpec = Field(default_factory=AugmenterSpec)
    preprocessor: PreprocessorSpec = Field(default_factory=PreprocessorSpec)
    data_interface: DataInterfaceSpec
    validation: ValidationSpec = Field(default_factory=ValidationSpec)

    @model_validator(mode="after")
    def _calibration_for_classifiers(self) -> Recipe:
        calibration = self.validation.calibration
        task = self.data_interface.task_type
        if (
            calibration
            and calibration.method not in (None, "none")
            and task != "classification"
        ):
            raise ValueError(
                f"validation.calibration.method '{calibration.method}' calibrates "
                f"class probabilities: task_type '{task}' has none (use 'none')"
            )
        return self

    @model_validator(mode="after")
    def _tuning_consistent(self) -> Recipe:
        task = self.data_interface.task_type
        tuning = self.hyperparameter_tuning
        search_space = self.model.search_space
        metric = tuning.metric or DEFAULT_TUNING_METRIC[task]
        metrics = TASK_METRICS[task]
        if metric not in metrics:
            raise ValueError(
                f"hyperparameter_tuning.metric '{metric}' is not a {task} metric; "
                f"expected one of {sorted(metrics)}"
            )
        natural = metrics[metric]
        if tuning.direction and tuning.direction != natural:
            raise ValueError(
                f"hyperparameter_tuning.direction '{tuning.direction}' contradicts "
                f"metric '{metric}', which is better when it is {natural}d; "
                f"use direction: {natural}"
            )
        if not tuning.enabled:
            if search_space:
                raise ValueError(
                    "model.hyperparameters has search ranges "
                    f"{sorted(search_space)} but hyperparameter_tuning.enabled is "
                    "false: enable tuning or give fixed values"
                )
            return self
        if not search_space:
            raise ValueError(
                "hyperparameter_tuning.enabled is true but model.hyperparameters "
                "has no search range ({type: int|float|categorical, ...})"
            )
        resolved = tuning.model_copy(update={"metric": metric, "direction": natural})
        object.__setattr__(self, "hyperparameter_tuning", resolved)
        return self

    @property
    def tuning_metric(self) -> str:
        """The metric tuning optimises (the task default when tuning is off)."""
        return (
            self.hyperparameter_tuning.metric
            or DEFAULT_TUNING_METRIC[self.data_interface.task_type]
        )

    @property
    def tuning_direction(self) -> Direction:
        task = self.data_interface.task_type
        return TASK_METRICS[task][self.tuning_metric]


def _first_message(err: Exception) -> str:
    errors = getattr(err, "errors", None)
    if callable(errors):
        first = errors()[0]
        return str(first.get("msg", err)).removeprefix("Value error, ")
    return str(err)
