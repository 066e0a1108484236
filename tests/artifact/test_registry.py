"""``artifact.registry``: the recipe's registered-model name, the promotion decision
(pure), and registering and resolving versions on a real SQLite MLflow registry."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
import yaml

from mmp_kedro.artifact import registry
from mmp_kedro.monitoring.performance import AlertThresholds

PROJECT_ROOT = Path(__file__).resolve().parents[2]
THRESHOLDS = AlertThresholds(improvement_threshold=0.02, degradation_threshold=-0.01)
#: conf/base's model_registry, onto which an env's parameters are soft-merged.
SHIPPED = yaml.safe_load(
    (PROJECT_ROOT / "conf" / "base" / "parameters_registry.yml").read_text()
)[registry.CONF_KEY]


def test_shipped_config_is_valid() -> None:
    config = registry.parse_config(SHIPPED, source="conf/base")
    assert config.enabled
    assert config.model_name("conversion_classifier") == "mmp-conversion_classifier"


def test_a_name_in_conf_overrides_the_template() -> None:
    config = registry.parse_config(
        {**SHIPPED, "name_template": "team-{recipe}-model", "names": {"churn": "a"}},
        source="test",
    )
    assert config.model_name("churn") == "a"
    assert config.model_name("ltv") == "team-ltv-model"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"name_template": "mmp-model"}, "model_registry.name_template"),
        ({"name_template": "mmp/{recipe}"}, "'/', ':' and '@'"),
        ({"name_template": "mmp-{recipe}-{env}"}, "model_registry.name_template"),
        ({"names": {"churn": "a:b"}}, "model_registry.names"),
        ({"name": "x"}, "model_registry.name: Extra inputs are not permitted"),
    ],
)
def test_a_bad_config_names_the_source_and_field(raw: dict, fragment: str) -> None:
    with pytest.raises(ValueError) as raised:
        registry.parse_config({**SHIPPED, **raw}, source="parameters of env 'local'")
    message = str(raised.value)
    assert message.startswith("parameters of env 'local': model_registry")
    assert fragment in message


def test_a_missing_section_or_field_is_named() -> None:
    with pytest.raises(ValueError, match="model_registry is missing"):
        registry.parse_config(None, source="parameters of env 'local'")
    with pytest.raises(ValueError, match="model_registry.enabled: Field required"):
        registry.parse_config(
            {"name_template": "mmp-{recipe}", "names": {}}, source="conf/base"
        )


def test_the_first_version_is_promoted() -> None:
    promotion = registry.decide_promotion({"rmse": 9.0}, None, "rmse", THRESHOLDS)
    assert promotion == registry.Promotion(True, "no_champion", "rmse")


@pytest.mark.parametrize(
    ("new", "champion", "metric", "promote", "verdict"),
    [
        # roc_auc is maximised: +2 % relative is the improvement threshold.
        (0.8161, 0.80, "roc_auc", True, "improved"),
        (0.815, 0.80, "roc_auc", False, "stable"),  # +1.9 %: not enough evidence
        (0.70, 0.80, "roc_auc", False, "degraded"),
        # rmse is minimised: going down is the improvement.
        (9.0, 10.0, "rmse", True, "improved"),
        (11.0, 10.0, "rmse", False, "degraded"),
    ],
)
def test_a_challenger_is_promoted_only_when_it_beats_the_champion(
    new: float, champion: float, metric: str, promote: bool, verdict: str
) -> None:
    promotion = registry.decide_promotion(
        {metric: new}, {metric: champion, "other": 1.0}, metric, THRESHOLDS
    )
    assert (promotion.promote, promotion.verdict) == (promote, verdict)
    assert promotion.comparison is not None
    assert promotion.comparison.reference == champion


def test_a_champion_without_the_metric_is_kept() -> None:
    promotion = registry.decide_promotion(
        {"roc_auc": 0.99}, {"accuracy": 0.5}, "roc_auc", THRESHOLDS
    )
    assert (promotion.promote, promotion.verdict) == (False, "not_comparable")


def test_a_new_run_without_the_metric_is_an_error() -> None:
    with pytest.raises(ValueError, match="no test metric 'roc_auc'"):
        registry.decide_promotion({"accuracy": 0.9}, None, "roc_auc", THRESHOLDS)
    with pytest.raises(ValueError, match="'accuracy_score' is no task's test metric"):
        registry.decide_promotion({}, None, "accuracy_score", THRESHOLDS)


def test_tags_hold_the_verdict_and_both_runs() -> None:
    promotion = registry.decide_promotion(
        {"roc_auc": 0.7}, {"roc_auc": 0.8}, "roc_auc", THRESHOLDS
    )
    tags = registry.promotion_tags(promotion, "new", "old", "3")
    assert tags == {
        registry.VERDICT_TAG: "degraded",
        registry.PROMOTED_TAG: "false",
        registry.RUN_ID_TAG: "new",
        registry.CHAMPION_RUN_ID_TAG: "old",
        registry.CHAMPION_VERSION_TAG: "3",
        registry.METRIC_TAG: "roc_auc",
        registry.COMPARISON_TAG: "roc_auc 0.7000 vs 0.8000 (-12.50%) degraded",
    }


@pytest.mark.parametrize(
    ("uri", "parsed"),
    [
        ("models:/mmp-churn@champion", ("mmp-churn", "champion", None)),
        (" models:/mmp-churn/12 ", ("mmp-churn", None, "12")),
    ],
)
def test_model_uris_by_alias_or_version(uri: str, parsed: tuple) -> None:
    assert registry.parse_model_uri(uri) == parsed


@pytest.mark.parametrize(
    "uri",
    [
        "runs:/abc/model",
        "models:/",
        "models:/mmp-churn",
        "models:/mmp-churn/latest",
        "models:/mmp-churn@",
        "models:/@champion",
        "models:/m-0123abcd",
    ],
)
def test_other_uris_are_refused_with_the_accepted_forms(uri: str) -> None:
    with pytest.raises(ValueError) as raised:
        registry.parse_model_uri(uri)
    assert "use models:/<name>@<alias> or models:/<name>/<version>" in str(raised.value)


class _Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input


def _trained_run(roc_auc: float) -> str:
    """A FINISHED run with a logged pyfunc model and a test metric."""
    with mlflow.start_run() as run:
        # No requirements inferred: that alone takes seconds per model.
        mlflow.pyfunc.log_model(name="model", python_model=_Echo(), pip_requirements=[])
        mlflow.log_metric("roc_auc", roc_auc)
    return run.info.run_id


def test_versions_move_the_aliases_on_evidence_and_resolve_to_their_runs(
    tracking_store: mlflow.MlflowClient,
) -> None:
    name = "mmp-registry-test"
    first, worse, better = (_trained_run(auc) for auc in (0.70, 0.695, 0.75))

    registered = [
        registry.register_run(run_id, name, "roc_auc", THRESHOLDS)
        for run_id in (first, worse, better)
    ]

    assert [r.promotion.verdict for r in registered] == [
        "no_champion",
        "stable",  # -0.7 %: within the thresholds, the champion stays
        "improved",
    ]
    versions = [tracking_store.get_model_version(name, r.version) for r in registered]
    assert [v.run_id for v in versions] == [first, worse, better]
    assert versions[1].tags[registry.PROMOTED_TAG] == "false"
    assert versions[1].tags[registry.CHAMPION_RUN_ID_TAG] == first
    assert versions[1].tags[registry.RUN_ID_TAG] == worse
    assert versions[2].tags[registry.CHAMPION_RUN_ID_TAG] == first
    assert tracking_store.get_registered_model(name).aliases == {
        registry.CHAMPION: int(registered[2].version),
        registry.CHALLENGER: int(registered[2].version),
    }

    resolved = registry.resolve_model_uri(f"models:/{name}@champion")
    assert (resolved.version, resolved.run_id) == (registered[2].version, better)
    assert registry.resolve_model_uri(f"models:/{name}/2").run_id == worse


def test_a_worse_run_takes_challenger_only(tracking_store: mlflow.MlflowClient) -> None:
    name = "mmp-registry-worse"
    champion = registry.register_run(_trained_run(0.80), name, "roc_auc", THRESHOLDS)
    challenger = registry.register_run(_trained_run(0.60), name, "roc_auc", THRESHOLDS)
    assert challenger.promotion.verdict == "degraded"
    assert tracking_store.get_registered_model(name).aliases == {
        registry.CHAMPION: int(champion.version),
        registry.CHALLENGER: int(challenger.version),
    }
    assert registry.resolve_model_uri(f"models:/{name}@challenger").run_id == (
        challenger.run_id
    )


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("models:/mmp-nowhere@champion", "has no registered model 'mmp-nowhere'"),
        ("models:/mmp-registry-known@best", "has no alias '@best' (its aliases: @"),
        ("models:/mmp-registry-known/9", "model 'mmp-registry-known' has no version 9"),
    ],
)
def test_unknown_names_aliases_and_versions_are_named(
    tracking_store: mlflow.MlflowClient, uri: str, fragment: str
) -> None:
    registry.register_run(
        _trained_run(0.7), "mmp-registry-known", "roc_auc", THRESHOLDS
    )
    with pytest.raises(ValueError) as raised:
        registry.resolve_model_uri(uri)
    assert fragment in str(raised.value)


def test_a_champion_promoted_while_registering_is_the_one_compared_with(
    tracking_store: mlflow.MlflowClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run B beats the champion it read first (A), but while B's version is being
    registered run C, better still, ends and is promoted: B stays challenger, its
    tags naming C as the champion it was compared with."""
    name = "mmp-registry-race"
    first = registry.register_run(_trained_run(0.70), name, "roc_auc", THRESHOLDS)
    contender, faster = _trained_run(0.75), _trained_run(0.90)
    register_model = mlflow.register_model
    meanwhile: list[registry.Registration] = []
    interleaved = []

    def register_while_another_run_ends(*args, **kwargs):
        if not interleaved:  # once: C's own registration goes straight through
            interleaved.append(True)
            meanwhile.append(registry.register_run(faster, name, "roc_auc", THRESHOLDS))
        return register_model(*args, **kwargs)

    monkeypatch.setattr(mlflow, "register_model", register_while_another_run_ends)
    late = registry.register_run(contender, name, "roc_auc", THRESHOLDS)

    (other,) = meanwhile
    assert other.promotion.verdict == "improved"
    assert other.champion_run_id == first.run_id
    assert late.promotion.verdict == "degraded"
    assert late.champion_run_id == faster
    assert tracking_store.get_registered_model(name).aliases == {
        registry.CHAMPION: int(other.version),
        registry.CHALLENGER: int(late.version),
    }
    tags = tracking_store.get_model_version(name, late.version).tags
    assert tags[registry.CHAMPION_RUN_ID_TAG] == faster
    assert tags[registry.PROMOTED_TAG] == "false"
    assert tags[registry.VERDICT_TAG] == "degraded"
