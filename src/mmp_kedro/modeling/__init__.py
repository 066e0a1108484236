"""Model-agnostic training: preprocessing, estimators, metrics and the Optuna search."""
