"""Bundled reference data with sources: actors, affinities, alliances, scenarios."""
