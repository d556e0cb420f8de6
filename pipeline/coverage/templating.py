"""The one Jinja2 environment the HTML report is rendered with: templates shipped as package data, autoescape on.

Autoescape is what makes report text safe in the page: every value a template prints is escaped unless it is
already :class:`markupsafe.Markup` (the pre-rendered SVG chart, the task section, highlighted text), and each
of those is itself built from escaped pieces. No markup is ever joined from strings by hand.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The report's environment; ``StrictUndefined`` so a misspelt variable fails instead of printing nothing."""
    return Environment(
        loader=PackageLoader("pipeline.coverage", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render(template: str, **context: object) -> Markup:
    """Render ``template`` with ``context``; the result is markup, safe to embed in another template."""
    return Markup(environment().get_template(template).render(**context))
