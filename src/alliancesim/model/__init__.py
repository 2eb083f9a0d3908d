"""The model's stages, each a pure function of trial-major numpy arrays (axis 0 = trial)."""
