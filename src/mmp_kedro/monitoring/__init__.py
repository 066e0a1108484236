"""Monitoring a recipe's runs: test metrics against a baseline and the best past run."""
