"""The model registry: a training run's model as a version of its recipe's
registered model, its lifecycle driven by evidence, and ``models:/`` URIs back to runs.

Every FINISHED training run registers a version under the recipe's registered-model
name (``model_registry`` in ``conf/base/parameters_registry.yml``). The new version
gets the alias ``challenger``; it takes ``champion`` when the model has none yet, or
when its test metric beats the champion's by the performance-monitoring improvement
threshold (``performance_monitoring.alert_thresholds``, compared by
``monitoring.performance``), never otherwise. The verdict and both run ids are tags
on the version.

Batch inference, evaluate and serving accept ``models:/<name>@<alias>`` or
``models:/<name>/<version>`` wherever they accept a run id: :func:`resolve_model_uri`
turns it into the version's run once, and everything after works from that run id.
The name derivation and the promotion decision are pure; the rest talks to MLflow.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

import mlflow
from mlflow.exceptions import MlflowException
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from mmp_kedro.monitoring.performance import (
    METRIC_DIRECTIONS,
    AlertThresholds,
    Comparison,
    compare,
)
from mmp_kedro.services.redaction import redacted_text, redacted_url

log = logging.getLogger(__name__)

CONF_KEY = "model_registry"

CHAMPION = "champion"
CHALLENGER = "challenger"

#: Tags on a registered version: why it was, or was not, made champion.
VERDICT_TAG = "mmp.promotion.verdict"
PROMOTED_TAG = "mmp.promotion.promoted"
RUN_ID_TAG = "mmp.promotion.run_id"
CHAMPION_RUN_ID_TAG = "mmp.promotion.champion_run_id"
CHAMPION_VERSION_TAG = "mmp.promotion.champion_version"
METRIC_TAG = "mmp.promotion.metric"
COMPARISON_TAG = "mmp.promotion.comparison"

#: ``no_champion``: the first version; the rest are the comparison's verdict, or
#: ``not_comparable`` when the champion's run has no value of the metric.
PromotionVerdict = Literal[
    "no_champion", "improved", "stable", "degraded", "not_comparable"
]

_URI_PREFIX = "models:/"
#: MLflow forbids '/' and ':' in a registered-model name; '@' starts an alias here.
_FORBIDDEN_NAME_CHARACTERS = ("/", ":", "@")
_ACCEPTED_URIS = "models:/<name>@<alias> or models:/<name>/<version>"


class RegistryConfig(BaseModel):
    """The ``model_registry`` parameters; their values are in
    ``conf/base/parameters_registry.yml``, not here."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool
    #: A recipe's registered-model name; ``{recipe}`` is the recipe's name.
    name_template: str
    #: Per-recipe names, overriding the template.
    names: dict[str, str]

    @field_validator("name_template")
    @classmethod
    def _template_names_the_recipe(cls, template: str) -> str:
        if "{recipe}" not in template:
            raise ValueError(
                f"{template!r} must contain {{recipe}}: every recipe needs a name of "
                "its own (give fixed names per recipe under `names`)"
            )
        try:
            check_model_name(template.format(recipe="recipe"))
        except (KeyError, IndexError, ValueError) as err:
            raise ValueError(f"{template!r}: {err}") from None
        return template

    @field_validator("names")
    @classmethod
    def _valid_names(cls, names: dict[str, str]) -> dict[str, str]:
        for name in names.values():
            check_model_name(name)
        return names

    def model_name(self, recipe: str) -> str:
        """The registered-model name of ``recipe``."""
        return registered_model_name(recipe, self)


def parse_config(raw: dict | None, source: str) -> RegistryConfig:
    """Validated config; errors name ``source`` and the field, like recipe errors."""
    if raw is None:
        raise ValueError(
            f"{source}: {CONF_KEY} is missing (conf/base/parameters_registry.yml "
            "defines it; an env's parameters may override its fields)"
        )
    try:
        return RegistryConfig.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        where = f"{CONF_KEY}.{field}" if field else CONF_KEY
        raise ValueError(f"{source}: {where}: {first['msg']}") from None


def check_model_name(name: str) -> str:
    """``name`` if MLflow and ``models:/`` URIs accept it as a registered-model name.

    Raises:
        ValueError: it is empty or holds '/', ':' or '@'.
    """
    if not name.strip():
        raise ValueError("a registered-model name cannot be empty")
    bad = [c for c in _FORBIDDEN_NAME_CHARACTERS if c in name]
    if bad:
        raise ValueError(
            f"registered-model name {name!r} contains {bad}: '/', ':' and '@' "
            "cannot appear in a models:/ URI's name"
        )
    return name


def registered_model_name(recipe: str, config: RegistryConfig) -> str:
    """The recipe's own name from ``config.names``, else the template filled in."""
    if recipe in config.names:
        return config.names[recipe]
    return check_model_name(config.name_template.format(recipe=recipe))


@dataclass(frozen=True)
class Promotion:
    """Whether a new version takes ``champion``, and the evidence."""

    promote: bool
    verdict: PromotionVerdict
    metric: str
    comparison: Comparison | None = None


def decide_promotion(
    metrics: dict[str, float],
    champion_metrics: dict[str, float] | None,
    metric: str,
    thresholds: AlertThresholds,
) -> Promotion:
    """A new version's promotion: always when there is no champion
    (``champion_metrics`` None), else only when its ``metric`` improved on the
    champion's by ``thresholds.improvement_threshold`` (the comparison of
    performance monitoring: relative, signed so that positive is better).

    Raises:
        ValueError: the new run has no value of ``metric``, or no project task
            computes it.
    """
    if metric not in METRIC_DIRECTIONS:
        raise ValueError(
            f"metric {metric!r} is no task's test metric; known: "
            f"{sorted(METRIC_DIRECTIONS)}"
        )
    if metric not in metrics:
        raise ValueError(
            f"the new run has no test metric {metric!r} to compare with the champion"
        )
    if champion_metrics is None:
        return Promotion(True, "no_champion", metric)
    if metric not in champion_metrics:
        # A champion trained with another metric cannot be beaten on this one.
        return Promotion(False, "not_comparable", metric)
    (comparison,) = compare(metrics, {metric: champion_metrics[metric]}, thresholds)
    return Promotion(
        comparison.verdict == "improved", comparison.verdict, metric, comparison
    )


def promotion_tags(
    promotion: Promotion,
    run_id: str,
    champion_run_id: str | None,
    champion_version: str | None,
) -> dict[str, str]:
    """The tags of the new version: the verdict, the new and the champion's run."""
    tags = {
        VERDICT_TAG: promotion.verdict,
        PROMOTED_TAG: str(promotion.promote).lower(),
        RUN_ID_TAG: run_id,
        METRIC_TAG: promotion.metric,
    }
    if champion_run_id is not None:
        tags[CHAMPION_RUN_ID_TAG] = champion_run_id
    if champion_version is not None:
        tags[CHAMPION_VERSION_TAG] = champion_version
    if promotion.comparison is not None:
        tags[COMPARISON_TAG] = promotion.comparison.describe()
    return tags


@dataclass(frozen=True)
class Registration:
    """A registered version and what happened to its aliases."""

    name: str
    version: str
    run_id: str
    promotion: Promotion
    #: The champion it was compared with (None for the first version).
    champion_run_id: str | None

    def describe(self) -> str:
        aliases = f"{CHAMPION}, {CHALLENGER}" if self.promotion.promote else CHALLENGER
        versus = (
            f" vs champion run {self.champion_run_id}: "
            f"{self.promotion.comparison.describe()}"
            if self.promotion.comparison is not None
            else ""
        )
        return (
            f"registered run {self.run_id} as version {self.version} of model "
            f"'{self.name}' ({aliases}; verdict {self.promotion.verdict}{versus})"
        )


def register_run(
    run_id: str,
    name: str,
    metric: str,
    thresholds: AlertThresholds,
    client: mlflow.MlflowClient | None = None,
) -> Registration:
    """Register the model of the FINISHED ``run_id`` as a new version of ``name``,
    alias it ``challenger``, and ``champion`` when :func:`decide_promotion` says so.

    The champion is read before the version is registered, so it is never compared
    with itself, and read again once it is: registering copies the model's files
    and takes seconds, in which a run that ended meanwhile may have promoted its
    own version. The decision is then made again against that champion. MLflow has
    no lock: two runs ending within the milliseconds between that read and the
    alias update can still both promote.
    """
    client = client or mlflow.MlflowClient()
    run = client.get_run(run_id)
    champion = _current_champion(client, name)
    promotion = _decide(client, run, champion, metric, thresholds)
    version = mlflow.register_model(
        _logged_model_uri(run),
        name,
        tags=promotion_tags(promotion, run_id, *_identity(champion)),
    )
    version_id = str(version.version)
    client.set_registered_model_alias(name, CHALLENGER, version_id)
    latest = _current_champion(client, name)
    if _identity(latest) != _identity(champion):
        champion = latest
        promotion = _decide(client, run, champion, metric, thresholds)
        tags = promotion_tags(promotion, run_id, *_identity(champion))
        for key, value in tags.items():
            client.set_model_version_tag(name, version_id, key, value)
    if promotion.promote:
        client.set_registered_model_alias(name, CHAMPION, version_id)
    return Registration(name, version_id, run_id, promotion, _identity(champion)[0])


def _decide(
    client: mlflow.MlflowClient,
    run: Any,
    champion: Any | None,
    metric: str,
    thresholds: AlertThresholds,
) -> Promotion:
    champion_metrics = (
        client.get_run(champion.run_id).data.metrics if champion is not None else None
    )
    return decide_promotion(run.data.metrics, champion_metrics, metric, thresholds)


def _identity(version: Any | None) -> tuple[str | None, str | None]:
    """(run id, version) of a model version, (None, None) for none."""
    if version is None:
        return None, None
    return version.run_id, str(version.version)


def _current_champion(client: mlflow.MlflowClient, name: str) -> Any | None:
    """The model version aliased ``champion``, None when the model or alias is new."""
    try:
        aliases = client.get_registered_model(name).aliases
    except MlflowException as err:
        if err.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise
    if CHAMPION not in aliases:
        return None
    return client.get_model_version(name, str(aliases[CHAMPION]))


def _logged_model_uri(run: Any) -> str:
    """``models:/<model id>`` of the run's logged model (MLflow 3 logs the model as
    a LoggedModel: ``runs:/<id>/model`` would resolve to it with a warning)."""
    outputs = run.outputs.model_outputs if run.outputs else []
    if len(outputs) == 1:
        return f"models:/{outputs[0].model_id}"
    return f"runs:/{run.info.run_id}/model"


@dataclass(frozen=True)
class ResolvedModel:
    """A ``models:/`` URI and the registered version and run it named."""

    uri: str
    name: str
    version: str
    run_id: str

    def describe(self) -> str:
        return (
            f"{self.uri} is version {self.version} of '{self.name}': run {self.run_id}"
        )


def parse_model_uri(uri: str) -> tuple[str, str | None, str | None]:
    """(name, alias, version) of ``models:/<name>@<alias>`` or
    ``models:/<name>/<version>``; exactly one of alias and version is set.

    Raises:
        ValueError: any other form, saying which are accepted.
    """
    text = uri.strip()
    body = text.removeprefix(_URI_PREFIX)
    wrong = ValueError(f"{uri!r} is not a registered model's URI: use {_ACCEPTED_URIS}")
    if body == text or not body:
        raise wrong
    if "@" in body:
        name, _, alias = body.rpartition("@")
        if not name or not alias or "/" in name or "/" in alias:
            raise wrong
        return name, alias, None
    name, _, version = body.partition("/")
    if not name or not re.fullmatch(r"[0-9]+", version):
        raise wrong
    return name, None, version


def resolve_model_uri(
    uri: str, client: mlflow.MlflowClient | None = None
) -> ResolvedModel:
    """The registered version and run ``uri`` names on the current registry.

    Raises:
        ValueError: the URI is malformed, or its model, alias or version unknown (with
            the names, aliases or versions there are), or the version has no run.
    """
    name, alias, version = parse_model_uri(uri)
    client = client or mlflow.MlflowClient()
    where = redacted_url(mlflow.get_registry_uri())
    try:
        model = client.get_registered_model(name)
    except MlflowException as err:
        if err.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise ValueError(
                f"{uri!r}: the model registry at {where!r} has no registered model "
                f"'{name}' (it has: {_known_models(client)}); a recipe's model is "
                "registered by its first finished training run"
            ) from None
        raise _unreachable(uri, where, err) from None
    if alias is not None:
        if alias not in model.aliases:
            known = ", ".join(f"@{a} (version {v})" for a, v in model.aliases.items())
            raise ValueError(
                f"{uri!r}: model '{name}' has no alias '@{alias}' (its aliases: "
                f"{known or 'none'})"
            )
        version = str(model.aliases[alias])
    try:
        found = client.get_model_version(name, version)
    except MlflowException as err:
        if err.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise ValueError(
                f"{uri!r}: model '{name}' has no version {version}{_latest_hint(model)}"
            ) from None
        raise _unreachable(uri, where, err) from None
    if not found.run_id:
        raise ValueError(
            f"{uri!r}: version {version} of '{name}' was not registered from a run: "
            "batch inference, evaluate and serving need a training run"
        )
    return ResolvedModel(uri.strip(), name, str(found.version), found.run_id)


def _latest_hint(model: Any) -> str:
    versions = [int(v.version) for v in model.latest_versions or []]
    return f" (latest: {max(versions)})" if versions else ""


def _known_models(client: mlflow.MlflowClient, limit: int = 20) -> str:
    names = [m.name for m in client.search_registered_models(max_results=limit)]
    return ", ".join(names) or "none"


def _unreachable(uri: str, where: str, err: MlflowException) -> ValueError:
    return ValueError(
        f"{uri!r}: the model registry at {where!r} could not answer: "
        f"{redacted_text(str(err.message).splitlines()[0])}"
    )
