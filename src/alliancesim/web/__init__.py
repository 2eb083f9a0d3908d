"""The web application (`alliancesim serve`): pages and a JSON API under /api/v1 over the api.

Every piece of work goes through `alliancesim.api` (the front door): the app adds no model
logic, so a run started here gives the numbers `alliancesim run` gives for the same scenario
and seed. Modules: `settings.py` (the limits and where results go), `inputs.py` (a scenario
from a bundled name, YAML text or form changes, with the loader's field-level errors),
`jobs.py` (the run queue: bounded, a fixed number of runs at once, cancel, progress),
`app.py` (the FastAPI app factory and the JSON API), `pages.py` (the Jinja2 pages),
`charts.py` (Plotly figure specifications from a kept record).
"""

from __future__ import annotations

from alliancesim.web.app import create_app
from alliancesim.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]
