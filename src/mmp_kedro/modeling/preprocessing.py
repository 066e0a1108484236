"""Preprocessors named by ``preprocessor.name`` in a recipe.

Every preprocessor is an sklearn transformer: ``fit`` learns statistics from the
rows it is given (the training rows only; the tuner and the final fit never pass
anything else) and ``transform`` applies them unchanged to any other rows.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


class SimpleScaler(TransformerMixin, BaseEstimator):
    """Standardise numeric columns and one-hot encode categorical ones.

    Args:
        exclude_cols: columns never used as features (entity keys, timestamps...).
        criterion_col: a numeric column kept as a feature but left unscaled (e.g. a
            column later used to slice results), as in the blueprint.

    Missing values are imputed (median / most frequent) with statistics of the fit
    rows; categories unseen at fit time encode as all zeros. Datetime columns are
    never features.
    """

    def __init__(
        self, exclude_cols: list[str] | None = None, criterion_col: str | None = None
    ):
        self.exclude_cols = exclude_cols
        self.criterion_col = criterion_col

    def fit(self, X: pd.DataFrame, y: Any = None) -> SimpleScaler:  # noqa: N803
        excluded = set(self.exclude_cols or [])
        candidates = [c for c in X.columns if c not in excluded]
        numeric = [
            c
            for c in candidates
            if pd.api.types.is_numeric_dtype(X[c])
            and not pd.api.types.is_bool_dtype(X[c])
            and c != self.criterion_col
        ]
        categorical = [
            c
            for c in candidates
            if c not in numeric
            and c != self.criterion_col
            and not pd.api.types.is_datetime64_any_dtype(X[c])
        ]
        passthrough = [self.criterion_col] if self.criterion_col in candidates else []
        transformers: list[tuple[str, Any, list[str]]] = []
        if numeric:
            transformers.append(
                (
                    "numeric",
                    Pipeline(
                        [
                            ("impute", SimpleImputer(strategy="median")),
                            ("scale", StandardScaler()),
                        ]
                    ),
                    numeric,
                )
            )
        if categorical:
            transformers.append(
                (
                    "categorical",
                    Pipeline(
                        [
                            ("impute", SimpleImputer(strategy="most_frequent")),
                            (
                                "encode",
                                OneHotEncoder(
                                    handle_unknown="ignore", sparse_output=False
                                ),
                            ),
                        ]
                    ),
                    categorical,
                )
            )
        if passthrough:
            transformers.append(("criterion", "passthrough", passthrough))
        if not transformers:
            raise ValueError(
                "preprocessor: no feature columns left after exclude_cols "
                f"{sorted(excluded)}; the data has {list(X.columns)}"
            )
        self.numeric_columns_ = numeric
        self.categorical_columns_ = categorical
        self.column_transformer_ = ColumnTransformer(
            transformers, remainder="drop", verbose_feature_names_out=False
        )
        self.column_transformer_.fit(_as_model_frame(X, categorical))
        self.feature_names_out_ = list(self.column_transformer_.get_feature_names_out())
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:  # noqa: N803
        """The fitted statistics applied with NumPy, equal to the sklearn transform.

        sklearn's ColumnTransformer validates and re-wraps its input at every step,
        milliseconds per call whatever the row count: most of a one-row request.
        The statistics it learnt (imputer fill values, scaler means and scales,
        encoder categories) are applied here directly instead;
        ``tests/modeling/test_preprocessing.py`` holds both paths equal.
        """
        blocks = []
        if self.numeric_columns_:
            impute, scale = self._steps("numeric")
            kept = ~np.isnan(impute.statistics_)  # all-missing at fit: dropped
            # Column by column: a list selection (X[[...]]) costs more than the math.
            values = np.column_stack([_as_float(X[c]) for c in self.numeric_columns_])
            values = np.where(np.isnan(values), impute.statistics_, values)[:, kept]
            blocks.append((values - scale.mean_) / scale.scale_)
        if self.categorical_columns_:
            impute, encode = self._steps("categorical")
            kept = [  # (column, fill value); all-missing at fit: dropped
                (column, fill)
                for column, fill in zip(
                    self.categorical_columns_, impute.statistics_, strict=True
                )
                if not pd.isna(fill)
            ]
            for (column, fill), categories in zip(
                kept, encode.categories_, strict=True
            ):
                values = X[column].to_numpy(dtype=object)
                values = np.where(pd.isna(values), fill, values)
                blocks.append(values[:, None] == categories[None, :])
        if self.criterion_col in self.feature_names_out_:
            blocks.append(_as_float(X[self.criterion_col])[:, None])
        return pd.DataFrame(
            np.hstack(blocks).astype(np.float64, copy=False),
            columns=self.feature_names_out_,
            index=X.index,
        )

    def __deepcopy__(self, memo: dict) -> SimpleScaler:
        # Fitted, it is read-only: kedro-mlflow deep-copies the artifact's catalog on
        # every predict call, which would copy every fitted sklearn step each time.
        if hasattr(self, "column_transformer_"):
            return self
        return type(self)(**copy.deepcopy(self.get_params(deep=False), memo))

    def sklearn_transform(self, X: pd.DataFrame) -> pd.DataFrame:  # noqa: N803
        """The reference: the fitted ColumnTransformer's own transform."""
        frame = _as_model_frame(X, self.categorical_columns_)
        return pd.DataFrame(
            np.asarray(self.column_transformer_.transform(frame), dtype=np.float64),
            columns=self.feature_names_out_,
            index=X.index,
        )

    def _steps(self, block: str) -> list[Any]:
        pipeline = self.column_transformer_.named_transformers_[block]
        return [step for _, step in pipeline.steps]

    @property
    def numeric_means_(self) -> dict[str, float]:
        """Means the scaler learnt, by column (what the leakage test inspects)."""
        if not self.numeric_columns_:
            return {}
        scaler = self.column_transformer_.named_transformers_["numeric"].named_steps[
            "scale"
        ]
        return dict(zip(self.numeric_columns_, scaler.mean_.tolist(), strict=True))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return self.column_transformer_.get_feature_names_out()


def _as_float(column: pd.Series) -> np.ndarray:
    """A numeric column as float64, missing values as NaN."""
    if isinstance(column.dtype, np.dtype):  # NumPy-backed: NaN already, no NA scan
        return column.to_numpy(dtype=np.float64)
    return column.to_numpy(dtype=np.float64, na_value=np.nan)  # nullable Int64, ...


def _as_model_frame(X: pd.DataFrame, categorical: list[str]) -> pd.DataFrame:  # noqa: N803
    """Categoricals as object dtype with NaN for missing, which the imputer expects."""
    if not categorical:
        return X
    frame = X.copy()
    for column in categorical:
        frame[column] = (
            frame[column].astype(object).where(frame[column].notna(), np.nan)
        )
    return frame


PREPROCESSORS: dict[str, type[BaseEstimator]] = {"simple_scaler": SimpleScaler}


def build_preprocessor(name: str, params: dict[str, Any]) -> BaseEstimator:
    """A fresh, unfitted preprocessor named by a recipe."""
    return PREPROCESSORS[name](**params)
