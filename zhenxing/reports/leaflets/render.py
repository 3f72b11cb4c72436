"""Leaflets as print-ready A4 pages: HTML rendered to PDF by WeasyPrint with the system's CJK fonts
(Noto CJK from Debian's fonts-noto-cjk), like the case notices (`cases/documents.py`).

One page per household: a leaflet that runs over is laid out again in a compact style (smaller type),
which fits the longest template the editor accepts with the most measures printed (tested); one that
still runs over is reported by `Layout.overflowing`.

A batch is one PDF, made in chunks of `CHUNK` households so that memory stays flat whatever its size:
each chunk is laid out as its own WeasyPrint document (sharing one font configuration), written to a
temporary file and dropped; then pypdf joins the chunk files into the one result, with one font
program per face (`joining.py`).
"""

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import segno
from django.template.loader import render_to_string

from zhenxing.registry.models import Household
from zhenxing.reports.leaflets.content import Edition, Page, pages_for
from zhenxing.reports.leaflets.joining import FontUnion, join

TEMPLATE = "reports/leaflets/leaflet.html"
# Households per WeasyPrint document: its layout (~0.4 MB a household) is the memory a batch needs on top
# of the process and the fonts; progress moves after each chunk (every 5-10 s).
CHUNK = 100


def qr_data_uri(url: str) -> str:
    """An SVG QR code of `url` (the same library as the registry's 户码), as a data: URI."""
    return segno.make(url, error="m").svg_data_uri(scale=3, border=2)


def render_html(
    edition: Edition, pages: list[Page], *, nonce: str = "", compact: frozenset[int] = frozenset()
) -> str:
    """The pages as one HTML document. `compact`: indexes of pages set in smaller type; `nonce`: for
    the browser preview's Content-Security-Policy."""
    context = {
        "pages": [(i in compact, page) for i, page in enumerate(pages)],
        "count": len(pages),
        "kind": edition.kind,
        "portal_url": edition.portal_url,
        "qr": qr_data_uri(edition.portal_url) if edition.portal_url else "",
        "printed_on": edition.printed_on,
        "nonce": nonce,
    }
    return render_to_string(TEMPLATE, context)


@dataclass
class Layout:
    document: object  # weasyprint.Document
    compact: frozenset[int] = frozenset()  # pages set in smaller type to fit
    overflowing: list[int] = field(default_factory=list)  # pages longer than one sheet even so


def _sheets(document, count: int) -> list[int]:
    """How many sheets each of `count` leaflets takes, from the anchors `leaflet-N` on the sheets."""
    starts = {}
    for number, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor.startswith("leaflet-"):
                starts.setdefault(int(anchor.removeprefix("leaflet-")), number)
    ends = [starts.get(i + 1, len(document.pages)) for i in range(count)]
    return [end - starts.get(i, end) for i, end in enumerate(ends)]


def layout(edition: Edition, pages: list[Page], font_config=None) -> Layout:
    from weasyprint import HTML

    document = HTML(string=render_html(edition, pages)).render(font_config=font_config)
    if len(document.pages) == len(pages):
        return Layout(document)
    compact = frozenset(i for i, n in enumerate(_sheets(document, len(pages))) if n > 1)
    html = render_html(edition, pages, compact=compact)
    document = HTML(string=html).render(font_config=font_config)
    overflowing = [i for i, n in enumerate(_sheets(document, len(pages))) if n > 1]
    return Layout(document, compact, overflowing)


def to_pdf(edition: Edition, pages: list[Page]) -> bytes:
    return layout(edition, pages).document.write_pdf()


@dataclass
class Batch:
    pdf: bytes
    pages: int  # sheets in the PDF
    overflowing: list[Household]  # households whose leaflet still takes more than one sheet


def batch_pdf(
    edition: Edition,
    households: list[Household],
    progress: Callable[[int], None] = lambda done: None,
) -> Batch:
    """One PDF of every household's leaflet, in order.

    `progress(done)` is called after each chunk with the number of households laid out so far. The chunk
    files live in a temporary folder that is removed whatever happens (an error, the job being stopped).
    """
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    glyphs = FontUnion()
    overflowing = []
    with tempfile.TemporaryDirectory(prefix="zx-leaflets-") as folder:
        parts = []
        for start in range(0, len(households), CHUNK):
            chunk = households[start : start + CHUNK]
            result = layout(edition, pages_for(edition, chunk), fonts)
            part = Path(folder) / f"{len(parts):05d}.pdf"
            result.document.write_pdf(part)
            glyphs.add(result.document)
            parts.append(part)
            overflowing += [chunk[i] for i in result.overflowing]
            del result  # the layout is the memory: let it go before the next chunk
            progress(start + len(chunk))
        pdf, pages = join(parts, title=f"明白纸（{len(households)}户）", fonts=glyphs)
    return Batch(pdf, pages, overflowing)


def filename(edition: Edition, place: str) -> str:
    """申报政策明白纸_泽林镇新港村_2026年.pdf"""
    return f"{edition.template.get_kind_display()}_{place}_{edition.year}年.pdf"
