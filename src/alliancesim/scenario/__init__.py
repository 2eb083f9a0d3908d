"""Scenario files: schema, loading with precise errors, compilation to arrays."""
