"""The dossier as HTML and as PDF, in Norwegian bokmål: both drawn from the one
people-facing model (``people.document``), so what the two show cannot drift apart."""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from services.reads.rendering import pdf as paper
from services.reads.rendering.people import document

_templates = Environment(loader=PackageLoader("services.reads.rendering", "templates"),
                         autoescape=select_autoescape(["html"]))
_TIME = re.compile(r"\d\d\.\d\d\.\d{4} kl\. \d\d:\d\d")


def _times(value: str) -> Markup:
    """A cell's text with each time kept on one line, as the PDF keeps it."""
    return Markup(_TIME.sub(lambda m: f'<span class="t">{m.group(0)}</span>',
                            str(escape(value))))


def _css_string(value: str) -> Markup:
    """Text as a CSS string, every character but letters, digits and plain punctuation
    escaped, so a name cannot end the string or the style element."""
    return Markup('"' + "".join(c if c.isalnum() or c in " .,:·-()" else f"\\{ord(c):x} "
                                for c in value) + '"')


_templates.filters["times"] = _times
_templates.filters["css_string"] = _css_string


def html(d: dict[str, Any]) -> str:
    return html_of(document(d))


def pdf(d: dict[str, Any]) -> bytes:
    return paper.render(document(d))


def html_of(model: dict[str, Any]) -> str:
    """The people-facing model as one HTML page."""
    return _templates.get_template("dossier.html").render(m=model)
