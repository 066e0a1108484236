"""``kedro mmp new-recipe``: a commented recipe and its loader SQL, valid as written.

The texts come from ``templates/``: ``recipe.yaml.tmpl`` and ``loader.sql.tmpl``
filled from ``tasks.yml`` (per task: default model, metric, label columns, sample
features) and ``known_models.yml`` (per model class: its task and a search space).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

import yaml

from mmp_kedro.recipe.loader import RecipeError, load_recipe

TEMPLATES = Path(__file__).parent / "templates"

#: Where a new recipe's loader SQL goes, relative to the project, as the shipped
#: recipes keep theirs.
LOADERS_DIR = Path("recipes") / "sql" / "loaders"


@dataclass(frozen=True)
class KnownModel:
    """A model class the project's tests fit for ``task``."""

    class_path: str
    task: str
    hyperparameters: dict[str, Any]


def known_models() -> list[KnownModel]:
    """The classes of ``templates/known_models.yml``, in file order."""
    entries = yaml.safe_load((TEMPLATES / "known_models.yml").read_text())
    return [KnownModel(class_path=path, **entry) for path, entry in entries.items()]


def task_templates() -> dict[str, dict[str, Any]]:
    """Per task, what a new recipe is filled with (``templates/tasks.yml``)."""
    return yaml.safe_load((TEMPLATES / "tasks.yml").read_text())


def render(name: str, task: str, class_path: str | None = None) -> tuple[str, str]:
    """The recipe YAML and loader SQL texts of a new ``task`` recipe ``name``.

    Raises:
        RecipeError: the task is unknown.
    """
    tasks = task_templates()
    if task not in tasks:
        raise RecipeError(f"--task '{task}' is not one of {sorted(tasks)}")
    spec = tasks[task]
    class_path = class_path or spec["model"]
    model = next((m for m in known_models() if m.class_path == class_path), None)
    fields = {
        "name": name,
        "task": task,
        "question": spec["question"],
        "metric": spec["metric"],
        "model": _model_block(class_path, model),
        # A class we know nothing of starts with fixed defaults, tuning off.
        "tuning_enabled": "true" if model else "false",
        "loader_sql": (LOADERS_DIR / f"{name}.sql").as_posix(),
        "features": _features_block(spec["features"]),
        "data_interface": "\n".join(
            f"  {key}: {_flow(value)}" for key, value in spec["data_interface"].items()
        ),
    }
    recipe_text = Template((TEMPLATES / "recipe.yaml.tmpl").read_text())
    label_select = spec["label_select"]
    sql_text = Template((TEMPLATES / "loader.sql.tmpl").read_text()).substitute(
        name=name,
        task=task,
        label_select=f",\n    {label_select}" if label_select else "",
    )
    return recipe_text.substitute(fields).rstrip() + "\n", sql_text


def write_new_recipe(
    project_path: Path, name: str, task: str, class_path: str | None = None
) -> list[Path]:
    """Write ``recipes/<name>.yaml`` and its loader SQL, after checking both the way
    a training run loads them; refuses to overwrite either file.

    Raises:
        RecipeError: a bad name, a file exists already, or the recipe is not valid
            (an unknown task, a class that cannot be imported or does not fit it).
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name):
        raise RecipeError(
            f"recipe name '{name}': use letters, digits, '_' and '-' only (it names "
            "recipes/<name>.yaml)"
        )
    recipe_text, sql_text = render(name, task, class_path)
    targets = {
        Path("recipes") / f"{name}.yaml": recipe_text,
        LOADERS_DIR / f"{name}.sql": sql_text,
    }
    existing = [str(path) for path in targets if (project_path / path).exists()]
    if existing:
        raise RecipeError(
            f"{' and '.join(existing)} already there: pick another name, or delete "
            "it first (new-recipe never overwrites)"
        )
    with tempfile.TemporaryDirectory(prefix="mmp-new-recipe-") as scratch:
        for path, text in targets.items():
            (Path(scratch) / path).parent.mkdir(parents=True, exist_ok=True)
            (Path(scratch) / path).write_text(text)
        load_recipe(name, Path(scratch) / "recipes")  # raises what a run would
        written = []
        for path in targets:
            (project_path / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(scratch) / path, project_path / path)
            written.append(project_path / path)
    return written


def _model_block(class_path: str, model: KnownModel | None) -> str:
    lines = [f'  class_path: "{class_path}"']
    if model is None:
        lines.append(
            "  # Not in `kedro mmp list models`: add its hyperparameters; search"
            "\n  # ranges need hyperparameter_tuning.enabled: true."
            "\n  hyperparameters: {}"
        )
        return "\n".join(lines)
    lines.append("  hyperparameters:")
    lines += [
        f"    {key}: {_flow(value)}" for key, value in model.hyperparameters.items()
    ]
    return "\n".join(lines)


def _features_block(features: dict[str, list[str]]) -> str:
    return "\n".join(
        f'    - feature_namespace: "{namespace}"\n      features: {_flow(names)}'
        for namespace, names in features.items()
    )


def _flow(value: Any) -> str:
    """One YAML flow-style line, as a person writes a search range or a list."""
    return (
        yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1000)
        .strip()
        .removesuffix("\n...")
        .strip()
    )
