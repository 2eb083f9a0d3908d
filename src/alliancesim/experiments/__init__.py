"""Experiments over the model: closed-form checks, ensembles, sweeps, calibration, hindcasts."""
