"""The dossier as HTML and as PDF, in Norwegian bokmål: both drawn from the one
people-facing model (``people.document``), so what the two show cannot drift apart."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from services.reads.rendering import pdf as paper
from services.reads.rendering.people import document

_templates = Environment(loader=PackageLoader("services.reads.rendering", "templates"),
                         autoescape=select_autoescape(["html"]))


def html(d: dict[str, Any]) -> str:
    return html_of(document(d))


def pdf(d: dict[str, Any]) -> bytes:
    return paper.render(document(d))


def html_of(model: dict[str, Any]) -> str:
    """The people-facing model as one HTML page."""
    return _templates.get_template("dossier.html").render(m=model)
