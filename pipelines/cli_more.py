"""Commands beyond loading: metrics, scenario, serve, demo, refresh, report."""

from __future__ import annotations
