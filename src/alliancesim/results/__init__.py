"""Ensembles of trials, their summaries, and stored results."""
