"""The console's application: every page's module, registered on ``ivr.console.web``."""

from __future__ import annotations

from aiohttp import web

from ivr.console import (
    appeal_views,
    auth,
    config_views,
    live,
    outage_views,
    report_views,
    user_views,
)
from ivr.console.web import Console, Pages, build_app

#: The views, one module per page.
MODULES: list[Pages] = [
    auth.pages,
    live.pages,
    outage_views.pages,
    appeal_views.pages,
    report_views.pages,
    config_views.pages,
    user_views.pages,
]


def make_app(state: Console) -> web.Application:
    return build_app(state, MODULES)
