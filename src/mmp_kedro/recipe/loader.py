"""Load ``recipes/<name>.yaml`` and check it against the schema and the world.

Everything here runs before any data is read or any MLflow run is opened, so a
broken recipe costs nothing but an error message naming the file and the field.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sklearn.base
import yaml
from pydantic import ValidationError

from mmp_kedro.recipe.schema import PREDICTION_COLUMNS, Recipe
from mmp_kedro.spine.sql import LoaderSQLError, output_columns


class RecipeError(ValueError):
    """A recipe that cannot be trained, with a message a person can act on."""


@dataclass(frozen=True)
class ResolvedRecipe:
    """A validated recipe with the texts it depends on, frozen at load time."""

    name: str
    path: str
    spec: Recipe
    yaml_text: str
    loader_sql: str
    spine_columns: tuple[str, ...]

    def summary_params(self) -> dict[str, Any]:
        """Flat MLflow params describing the recipe (never infrastructure)."""
        spec = self.spec
        params: dict[str, Any] = {
            "recipe.name": self.name,
            "recipe.model.class_path": spec.model.class_path,
            "recipe.data_interface.task_type": spec.data_interface.task_type,
            "recipe.data_interface.target_col": spec.data_interface.target_col,
            "recipe.loader.source_uri": spec.loader.source_uri,
            "recipe.augmenter.type": spec.augmenter.type,
            "recipe.preprocessor.name": spec.preprocessor.name,
            "recipe.hyperparameter_tuning.enabled": spec.hyperparameter_tuning.enabled,
            "recipe.hyperparameter_tuning.n_trials": spec.hyperparameter_tuning.n_trials,
            "recipe.hyperparameter_tuning.metric": spec.tuning_metric,
        }
        for name, value in spec.validation.overrides.items():
            params[f"recipe.validation.{name}"] = value
        for name, value in spec.model.hyperparameters.items():
            shown = (
                value.model_dump(exclude_none=True)
                if hasattr(value, "model_dump")
                else value
            )
            params[f"recipe.model.hyperparameters.{name}"] = str(shown)[:250]
        return params


def load_recipe(name: str | None, recipes_dir: Path) -> ResolvedRecipe:
    """Find, parse and validate a recipe by name, or by a path relative to the
    project root (the folder holding ``recipes_dir``, which ``loader.source_uri`` is
    relative to as well)."""
    project_path = recipes_dir.parent
    path = find_recipe_file(name, recipes_dir)
    shown = _shown(path, project_path)
    yaml_text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(yaml_text)
    except yaml.YAMLError as err:
        raise RecipeError(f"{shown}: not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise RecipeError(
            f"{shown}: expected a mapping of recipe sections at top level"
        )
    try:
        spec = Recipe.model_validate(raw)
    except ValidationError as err:
        raise RecipeError(_format_validation_error(shown, err)) from None

    loader_sql, spine_columns = _read_loader_sql(spec, recipes_dir, shown)
    _check_columns(spec, spine_columns, shown)
    _check_model_class(spec, shown)
    return ResolvedRecipe(
        name=path.stem,
        path=shown,
        spec=spec,
        yaml_text=yaml_text,
        loader_sql=loader_sql,
        spine_columns=tuple(spine_columns),
    )


def available_recipes(recipes_dir: Path) -> list[str]:
    """Recipe names in ``recipes_dir``."""
    if not recipes_dir.is_dir():
        return []
    return sorted(p.stem for p in recipes_dir.glob("*.y*ml"))


def import_model_class(class_path: str) -> type:
    """Import ``package.module.Class``; raise ImportError/AttributeError as Python does."""
    module_name, class_name = class_path.rsplit(".", 1)
    module = importlib.import_module(module_name)
    return getattr(module, class_name)


def find_recipe_file(name: str | None, recipes_dir: Path) -> Path:
    """The file of recipe ``name``, or a RecipeError saying what is there."""
    project_path = recipes_dir.parent
    name = "" if name is None else str(name)  # `--params recipe=2024` arrives as int
    if not name.strip():
        raise RecipeError(
            "no recipe given: run `kedro run --pipelines train --params recipe=<name>` "
            f"with one of {available_recipes(recipes_dir)}"
        )
    _check_name_length(name, recipes_dir)
    as_path = Path(name)
    candidates = (
        [project_path / as_path]
        if as_path.suffix in {".yaml", ".yml"}
        else [recipes_dir / f"{name}{ext}" for ext in (".yaml", ".yml")]
    )
    for candidate in candidates:
        if candidate.is_file():
            _check_inside(candidate, recipes_dir, f"recipe '{name}'")
            return candidate
    known = available_recipes(recipes_dir)
    close = difflib.get_close_matches(str(name), known, n=3)
    hint = f" Did you mean {close}?" if close else ""
    raise RecipeError(
        f"recipe '{name}' not found (looked for "
        f"{', '.join(_shown(c, project_path) for c in candidates)}). "
        f"Available recipes: {known}.{hint}"
    )


def _check_name_length(name: str, recipes_dir: Path) -> None:
    """A name the file system can hold as ``<name>.yaml`` (255 bytes on most)."""
    try:
        limit = os.pathconf(recipes_dir if recipes_dir.is_dir() else ".", "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    for part in Path(name).parts:
        size = len(f"{part}.yaml".encode())
        if size > limit:
            raise RecipeError(
                f"recipe name '{part[:40]}...' is {len(part)} characters long: a file "
                f"name on this file system holds at most {limit} bytes "
                f"({size} with '.yaml'); rename the recipe file to a shorter name"
            )


def _check_inside(path: Path, recipes_dir: Path, what: str) -> None:
    """``path``, links followed, is inside ``recipes_dir``, or a RecipeError."""
    resolved, folder = path.resolve(), recipes_dir.resolve()
    if not resolved.is_relative_to(folder):
        raise RecipeError(
            f"{what} is {resolved}, outside the project's recipes folder {folder}: "
            "recipes and their loader SQL are read from that folder only"
        )


def _shown(path: Path, project_path: Path) -> str:
    """``path`` relative to the project when it is inside it, else as given."""
    return (
        path.relative_to(project_path).as_posix()
        if path.is_relative_to(project_path)
        else str(path)
    )


def _format_validation_error(shown: str, err: ValidationError) -> str:
    lines = [f"{shown}: invalid recipe ({err.error_count()} problem(s))"]
    for problem in err.errors():
        location = ".".join(str(part) for part in problem["loc"]) or "<top level>"
        message = str(problem["msg"]).removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown field (check its spelling and section)"
        elif problem["type"] == "missing":
            message = "required field is missing"
        elif problem["type"] == "literal_error":
            message = f"{message}, got {problem.get('input')!r}"
        lines.append(f"  - {location}: {message}")
    return "\n".join(lines)


def _read_loader_sql(
    spec: Recipe, recipes_dir: Path, shown: str
) -> tuple[str, list[str]]:
    source = spec.loader.source_uri
    sql_path = recipes_dir.parent / source
    if not sql_path.is_file():
        raise RecipeError(
            f"{shown}: loader.source_uri '{source}' is not a file "
            f"(expected a SQL file relative to the project root, e.g. "
            f"recipes/sql/loaders/<name>.sql)"
        )
    _check_inside(sql_path, recipes_dir, f"{shown}: loader.source_uri '{source}'")
    if sql_path.resolve().suffix != ".sql":
        raise RecipeError(
            f"{shown}: loader.source_uri '{source}' is not a .sql file: the loader "
            "is one SELECT in a .sql file under recipes/, e.g. "
            "recipes/sql/loaders/<name>.sql"
        )
    sql = sql_path.read_text(encoding="utf-8")
    try:
        columns = output_columns(sql, source=spec.loader.source_uri)
    except LoaderSQLError as err:
        raise RecipeError(f"{shown}: loader.source_uri: {err}") from None
    return sql, columns


def _check_columns(spec: Recipe, spine_columns: list[str], shown: str) -> None:
    data = spec.data_interface
    for field in ("target_col", "treatment_col"):
        column = getattr(data, field)
        if column and column not in spine_columns:
            raise RecipeError(
                f"{shown}: data_interface.{field} '{column}' is not a column of "
                f"{spec.loader.source_uri} (its columns: {spine_columns})"
            )
    group_col = spec.validation.group_col
    if group_col and group_col not in spine_columns:
        raise RecipeError(
            f"{shown}: validation.group_col '{group_col}' is not a column of "
            f"{spec.loader.source_uri} (its columns: {spine_columns})"
        )
    if "event_timestamp" not in spine_columns:
        raise RecipeError(
            f"{shown}: {spec.loader.source_uri} must return an 'event_timestamp' "
            f"column (the point in time features are joined as of); got {spine_columns}"
        )
    features = spec.augmenter.feature_names
    # The augmenter would replace a spine column of a feature's name: an entity key,
    # a label or a timestamp silently swapped for a feature value.
    shadowed = [name for name in features if name in spine_columns]
    if shadowed:
        raise RecipeError(
            f"{shown}: augmenter.features {shadowed} are also columns of "
            f"{spec.loader.source_uri}, which the features would replace: drop them "
            "from the features or alias the spine's columns in the SQL"
        )
    # Predictions are written beside the spine and the features: a column of the
    # same name would be ambiguous in batch output, and caught only after training.
    reserved = PREDICTION_COLUMNS[data.task_type]
    sources = (
        (spec.loader.source_uri, spine_columns, "alias them in the SQL"),
        (
            "augmenter.features",
            features,
            "drop them or serve them under another name in the feature store",
        ),
    )
    for where, names, fix in sources:
        clashing = [name for name in names if name in reserved]
        if clashing:
            raise RecipeError(
                f"{shown}: {where} has the column(s) {clashing}, where a "
                f"{data.task_type} model writes its predictions {reserved}: {fix}"
            )
    _check_preprocessor_columns(spec, [*spine_columns, *features], shown)


def _check_preprocessor_columns(spec: Recipe, columns: list[str], shown: str) -> None:
    """``exclude_cols`` and ``criterion_col`` name columns the model would see: a
    misspelt one would leave an id column in the features, one-hot encoded."""
    params = spec.preprocessor.params
    named = [
        (f"preprocessor.params.exclude_cols[{i}]", column)
        for i, column in enumerate(params.exclude_cols)
    ]
    if params.criterion_col is not None:
        named.append(("preprocessor.params.criterion_col", params.criterion_col))
    for field, column in named:
        if column not in columns:
            close = difflib.get_close_matches(column, columns, n=3)
            hint = f"; did you mean {close}?" if close else ""
            raise RecipeError(
                f"{shown}: {field} '{column}' is neither a column of "
                f"{spec.loader.source_uri} nor a feature (columns: {columns}){hint}"
            )


def _check_model_class(spec: Recipe, shown: str) -> None:
    class_path = spec.model.class_path
    try:
        model_class = import_model_class(class_path)
    except ModuleNotFoundError as err:
        raise RecipeError(
            f"{shown}: model.class_path '{class_path}': module '{err.name}' is not "
            "installed or does not exist"
        ) from None
    except AttributeError:
        module_name, class_name = class_path.rsplit(".", 1)
        module = importlib.import_module(module_name)
        close = difflib.get_close_matches(class_name, dir(module), n=3)
        hint = f"; did you mean {close}?" if close else ""
        raise RecipeError(
            f"{shown}: model.class_path '{class_path}': module '{module_name}' has no "
            f"class '{class_name}'{hint}"
        ) from None
    if not inspect.isclass(model_class):
        raise RecipeError(f"{shown}: model.class_path '{class_path}' is not a class")
    task = spec.data_interface.task_type
    missing = [
        m for m in ("fit", "predict") if not callable(getattr(model_class, m, None))
    ]
    if missing:
        raise RecipeError(
            f"{shown}: model.class_path '{class_path}' lacks {missing}; a {task} model "
            "needs fit() and predict()"
        )
    _check_model_kind(model_class, spec, shown)
    _check_hyperparameter_names(
        model_class, spec.model.hyperparameters, shown, class_path
    )


#: What a task's model must be, as scikit-learn's estimator tags tell it.
_KIND_OF_TASK = {
    "classification": "classifier",
    "regression": "regressor",
    "clustering": "clusterer",
}
_EXAMPLE_OF_KIND = {
    "classifier": "xgboost.XGBClassifier",
    "regressor": "lightgbm.LGBMRegressor",
    "clusterer": "sklearn.cluster.KMeans",
}
_TASK_OF_KIND = {kind: task for task, kind in _KIND_OF_TASK.items()}

#: Metrics scored from predicted probabilities, not from predicted labels.
PROBABILITY_METRICS = ("roc_auc", "log_loss")


def _estimator_kind(model_class: type) -> str | None:
    """``classifier``, ``regressor`` or ``clusterer`` for a scikit-learn-style class
    (None when its tags say none of these, as for causalml's learners)."""
    try:
        estimator = model_class()
    except Exception:  # a class that needs arguments: nothing to tell
        return None
    for kind, test in (
        ("classifier", sklearn.base.is_classifier),
        ("regressor", sklearn.base.is_regressor),
        ("clusterer", sklearn.base.is_clusterer),
    ):
        try:
            if test(estimator):
                return kind
        except Exception:  # not a scikit-learn estimator
            return None
    return None


def _check_model_kind(model_class: type, spec: Recipe, shown: str) -> None:
    """A classification recipe trains a classifier, and so on; a metric scored
    from probabilities needs ``predict_proba``."""
    task = spec.data_interface.task_type
    class_path = spec.model.class_path
    wanted = _KIND_OF_TASK.get(task)
    kind = _estimator_kind(model_class)
    if wanted and kind and kind != wanted:
        raise RecipeError(
            f"{shown}: model.class_path '{class_path}' is a {kind}, but "
            f"data_interface.task_type is '{task}', which needs a {wanted}: use one "
            f"(e.g. '{_EXAMPLE_OF_KIND[wanted]}') or task_type '{_TASK_OF_KIND[kind]}'"
        )
    metric = spec.tuning_metric
    if (
        spec.hyperparameter_tuning.enabled
        and metric in PROBABILITY_METRICS
        and not callable(getattr(model_class, "predict_proba", None))
    ):
        raise RecipeError(
            f"{shown}: hyperparameter_tuning.metric '{metric}' is scored from "
            f"predicted probabilities and '{class_path}' has no predict_proba(); "
            "tune on accuracy or f1, or use a classifier with predict_proba()"
        )


def _check_hyperparameter_names(
    model_class: type, hyperparameters: dict[str, Any], shown: str, class_path: str
) -> None:
    signature = inspect.signature(model_class.__init__)
    parameters = signature.parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return  # e.g. xgboost and causalml pass **kwargs on to the booster
    accepted = {p.name for p in parameters} - {"self"}
    unknown = sorted(set(hyperparameters) - accepted)
    if unknown:
        raise RecipeError(
            f"{shown}: model.hyperparameters {unknown} are not parameters of "
            f"{class_path}; it accepts {sorted(accepted)}"
        )
