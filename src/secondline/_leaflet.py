"""The patient leaflet for one case: a standalone HTML page, a PDF, or its reading text.

The HTML has its style inline and loads nothing: no script, stylesheet, font or image,
so it works offline and prints as it shows. The PDF is WeasyPrint's rendering of it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from secondline import __version__
from secondline._assessment import Assessment
from secondline._case import Case
from secondline._engine import assess
from secondline._leaflet_content import Leaflet, build_leaflet, day_in_words


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("secondline", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _build(case: Case, assessment: Assessment | None) -> Leaflet:
    return build_leaflet(case, assessment if assessment is not None else assess(case))


def _render(leaflet: Leaflet) -> str:
    template = _environment().get_template("leaflet.html")
    return template.render(
        leaflet=leaflet, as_of=day_in_words(leaflet.as_of), version=__version__
    )


def leaflet_html(case: Case, assessment: Assessment | None = None) -> str:
    """The leaflet as one standalone HTML5 document (``assess(case)`` if not given)."""
    return _render(_build(case, assessment))


def leaflet_pdf(case: Case, assessment: Assessment | None = None) -> bytes:
    """The leaflet as PDF, titled and with author and subject set."""
    import weasyprint  # type: ignore[import-untyped]  # slow to import: only when asked

    options: dict[str, Any] = {}
    fetcher = getattr(weasyprint.urls, "URLFetcher", None)
    if fetcher is not None:  # WeasyPrint 66 and later: refuse every fetch, not just none made
        options["url_fetcher"] = fetcher(allowed_protocols=())
    document = weasyprint.HTML(string=leaflet_html(case, assessment), **options)
    pdf: bytes = document.write_pdf()
    return pdf


def _sentences(leaflet: Leaflet) -> Iterator[str]:
    """Each piece of reading text once, in the order the HTML shows it."""
    yield leaflet.title
    for section in leaflet.sections:
        yield section.heading
        yield from section.paragraphs
        for part in section.parts:
            yield part.heading
            if part.badge:
                yield part.badge
            yield from part.paragraphs
            if part.what_happens:
                yield f"{leaflet.what_happens_label} {part.what_happens}"
        yield from section.items
        yield from (line.text for line in section.helplines)


def leaflet_text(case: Case, assessment: Assessment | None = None) -> str:
    """The leaflet's reading text: what the readability test measures.

    It is every heading, paragraph, option, question and helpline description of the
    HTML, in order, one piece per line. Left out, as they are not prose: the case
    reference and date, the phone numbers and opening hours, and the rows of the
    sources list (titles, publishers, addresses, review dates). A piece that does not
    end a sentence (a heading, say) is given a full stop so it counts as its own.
    """
    return "\n".join(
        text if text.endswith((".", "?", "!")) else f"{text}."
        for text in _sentences(_build(case, assessment))
    )
