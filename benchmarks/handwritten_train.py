"""The uplift recipe's training written by hand: the same work as
`kedro run --pipelines train --params recipe=uplift_model_exp3` on LOCAL, with the
same libraries and none of the project (it never imports ``mmp_kedro``).

    .venv/bin/python benchmarks/handwritten_train.py --project <a LOCAL project copy>

The project copy holds the sample parquet files in ``data/01_raw``, the Feast registry
``python -m mmp_kedro.feature_store apply --env local`` wrote in ``data/feast`` and
the MLflow store ``mlruns.db``; ``benchmarks/local_train.py`` prepares one and times
this script against ``kedro run`` on it. The constants below are the recipe's
(``recipes/uplift_model_exp3.yaml``) and LOCAL's (``conf/base/parameters*.yml``).
Prints one JSON line: what was trained, to check it against the kedro run's.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from importlib.metadata import version
from pathlib import Path

import duckdb
import mlflow
import numpy as np
import optuna
import pandas as pd
from causalml.inference.meta import XGBTRegressor
from causalml.metrics import auuc_score, qini_score
from feast import FeatureStore, RepoConfig
from mlflow.models import infer_signature
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

LOADER_SQL = "recipes/sql/loaders/user_session_spine.sql"
START_DATE, END_DATE = "2025-01-01", "2025-07-01"
FEATURES = [
    "user_demographics:age",
    "user_demographics:country_code",
    "user_purchase_summary:ltv",
    "user_purchase_summary:total_purchase_count",
    "product_details:price",
    "product_details:category",
    "product_details:brand",
    "session_summary:time_on_page_seconds",
    "session_summary:click_count",
]
NUMERIC = ["age", "ltv", "total_purchase_count", "price", "time_on_page_seconds"]
NUMERIC += ["click_count"]
CATEGORICAL = ["country_code", "category", "brand"]
TEST_RATIO, FOLDS, SEED, TRIALS = 0.2, 3, 42, 20
FIXED = {"n_jobs": 2}


def load_spine(project: Path) -> pd.DataFrame:
    """The loader SQL in DuckDB over the events parquet, its dates bound."""
    sql = (project / LOADER_SQL).read_text()
    con = duckdb.connect()
    events = project / "data/01_raw/events.parquet"
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{events}')")
    sql = re.sub(r"(?<!:):(\w+)", r"$\1", sql)  # :start_date -> DuckDB's $start_date
    return con.execute(sql, {"start_date": START_DATE, "end_date": END_DATE}).df()


def join_features(project: Path, spine: pd.DataFrame) -> pd.DataFrame:
    """Point-in-time features from the project's Feast registry, in spine order."""
    feast = project / "data/feast"
    store = FeatureStore(
        repo_path=str(project),
        config=RepoConfig(
            project="mmp_kedro",
            provider="local",
            registry={"registry_type": "file", "path": str(feast / "registry.db")},
            offline_store={"type": "duckdb"},
            online_store={"type": "sqlite", "path": str(feast / "online_store.db")},
            entity_key_serialization_version=3,
        ),
    )
    entities = spine.assign(
        event_timestamp=spine["event_timestamp"].dt.tz_convert("UTC"),
        row=np.arange(len(spine)),
    )
    joined = store.get_historical_features(entity_df=entities, features=FEATURES)
    data = joined.to_df().sort_values("row").drop(columns="row").reset_index(drop=True)
    # Missing strings come back as None, which the imputer does not count as missing.
    data[CATEGORICAL] = data[CATEGORICAL].fillna(np.nan)
    return data


def preprocessor() -> ColumnTransformer:
    return ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                NUMERIC,
            ),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                CATEGORICAL,
            ),
        ]
    )


def fit(rows: pd.DataFrame, params: dict) -> tuple[ColumnTransformer, XGBTRegressor]:
    """A fresh preprocessor and model, both fitted on ``rows`` only."""
    pre = preprocessor()
    X = pre.fit_transform(rows)  # noqa: N806
    model = XGBTRegressor(**params)
    model.fit(X=X, treatment=treated(rows), y=rows["outcome"].to_numpy())
    return pre, model


def treated(rows: pd.DataFrame) -> np.ndarray:
    return (rows["grp"] == "treatment").to_numpy(dtype=int)


def uplift(pre: ColumnTransformer, model: XGBTRegressor, rows: pd.DataFrame):
    return model.predict(pre.transform(rows))[:, 0]


def scores(pre, model, rows: pd.DataFrame) -> dict[str, float]:
    """AUUC and Qini, unnormalised, per row (the recipe's metric)."""
    frame = pd.DataFrame(
        {
            "y": rows["outcome"].to_numpy(),
            "w": treated(rows),
            "model": uplift(pre, model, rows),
        }
    )
    return {
        "auuc": auuc_score(frame, normalize=False)["model"] / len(frame),
        "qini": qini_score(frame, normalize=False)["model"] / len(frame),
    }


class UpliftModel(mlflow.pyfunc.PythonModel):
    def __init__(self, pre: ColumnTransformer, model: XGBTRegressor):
        self.pre, self.model = pre, model

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return pd.DataFrame({"uplift_score": uplift(self.pre, self.model, model_input)})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", type=Path, default=Path.cwd())
    project = parser.parse_args().project.resolve()
    stages: dict[str, float] = {}
    started = time.perf_counter()

    spine = load_spine(project)
    stages["spine"] = time.perf_counter() - started
    data = join_features(project, spine)
    stages["features"] = time.perf_counter() - started - sum(stages.values())

    # Stratified by treatment x outcome; rows kept in spine order.
    strata = data["grp"] + "_" + data["outcome"].astype(str)
    train, test = train_test_split(
        data, test_size=TEST_RATIO, random_state=SEED, stratify=strata
    )
    train, test = (part.sort_index().reset_index(drop=True) for part in (train, test))
    folds = list(
        StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(
            train, train["grp"] + "_" + train["outcome"].astype(str)
        )
    )

    def objective(trial: optuna.Trial) -> float:
        params = {
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
            "n_estimators": trial.suggest_int("n_estimators", 50, 300),
            "max_depth": trial.suggest_int("max_depth", 2, 6),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            **FIXED,
        }
        fold_scores = []
        for step, (fit_index, valid_index) in enumerate(folds):
            pre, model = fit(train.iloc[fit_index], params)
            fold_scores.append(scores(pre, model, train.iloc[valid_index])["auuc"])
            trial.report(float(np.mean(fold_scores)), step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return float(np.mean(fold_scores))

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=SEED),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0),
    )
    study.optimize(objective, n_trials=TRIALS)
    stages["tuning"] = time.perf_counter() - started - sum(stages.values())

    best = {**study.best_params, **FIXED}
    pre, model = fit(train, best)
    test_metrics = scores(pre, model, test)
    stages["refit+test"] = time.perf_counter() - started - sum(stages.values())

    mlflow.set_tracking_uri(f"sqlite:///{project / 'mlruns.db'}")
    mlflow.set_experiment("handwritten-train")
    with mlflow.start_run() as run:
        mlflow.log_params(best)
        mlflow.log_metrics(test_metrics)
        wrapped = UpliftModel(pre, model)
        sample = test.head(20)
        mlflow.pyfunc.log_model(
            name="model",
            python_model=wrapped,
            signature=infer_signature(sample, wrapped.predict(None, sample)),
            # Listed, as the project lists its own: else MLflow infers them in a
            # subprocess that loads the model.
            pip_requirements=[
                f"{name}=={version(name)}"
                for name in ("mlflow", "pandas", "numpy", "scikit-learn", "xgboost")
                + ("causalml",)
            ],
        )
    stages["mlflow"] = time.perf_counter() - started - sum(stages.values())

    trials = study.trials
    print(
        json.dumps(
            {
                "spine_rows": len(spine),
                "train_rows": len(train),
                "test_rows": len(test),
                "trials": len(trials),
                "pruned": sum(
                    t.state == optuna.trial.TrialState.PRUNED for t in trials
                ),
                "best_score": study.best_value,
                "best_params": best,
                "test_auuc": test_metrics["auuc"],
                "test_qini": test_metrics["qini"],
                "run_id": run.info.run_id,
                "stages": {name: round(value, 2) for name, value in stages.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
