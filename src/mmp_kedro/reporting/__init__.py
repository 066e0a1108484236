"""Figures of a training run: drawn from arrays, logged by the ``report`` pipeline."""
