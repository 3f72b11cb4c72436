"""Joining a batch's chunk PDFs into one (pypdf), with one font program per font face.

Each chunk is its own WeasyPrint document, so each embeds a subset of every face holding only the
glyphs it uses: a township of 23 chunks would carry 23 near-identical subsets of Noto Sans CJK (~0.2 MB
each, as much as the text of 100 pages). WeasyPrint subsets keeping glyph ids (HarfBuzz's retain-gids)
and names a face alike in every chunk (`/TSPJMR+Noto-Sans-CJK-SC`, a hash of its description), so a
single subset of the union of the chunks' glyphs serves every chunk: the chunks' widths (/W) and text
maps (/ToUnicode) stay as they are, only the font program is swapped for the shared one. The batch is
then the size of one document holding all its pages.

This leans on WeasyPrint's `Font` objects (`Document.fonts` after writing: `hash`, `hb_face`,
`to_unicode`, `subset`); a face that does not fit the plain case (bitmap, variable or colour fonts, form
fields) keeps its per-chunk subsets, which is larger but still correct.
"""

import io
import logging
from pathlib import Path

logger = logging.getLogger(__name__)


class FontUnion:
    """The glyphs each font face uses over all chunks, gathered after each chunk's PDF is written.

    Any surprise from WeasyPrint's internals (an upgrade renaming them) turns the sharing off for the
    batch — each chunk then keeps its own subsets — instead of failing the batch."""

    def __init__(self):
        self._faces: dict[str, tuple[object, dict]] = {}  # hash → (a weasyprint Font, glyph id → text)
        self._unfit: set[str] = set()
        self._broken = False

    def add(self, document) -> None:
        """Take the glyphs of a written weasyprint `Document`."""
        if self._broken:
            return
        try:
            self._add(document)
        except Exception:
            logger.exception("明白纸合并：无法读取字体信息，各分段保留各自的字体子集")
            self._broken = True

    def _add(self, document) -> None:
        for font in document.fonts.values():
            if (
                font.bitmap
                or font.png
                or font.svg
                or font.colr
                or font.used_in_forms
                or "fvar" in font.tables
            ):
                self._unfit.add(font.hash)
                continue
            kept, glyphs = self._faces.setdefault(font.hash, (font, {}))
            glyphs.update(font.to_unicode)
            kept.missing.update(font.missing)

    def programs(self) -> dict[str, bytes]:
        """Face hash → a font program holding every glyph any chunk used (glyph ids as in the face);
        empty when sharing is off."""
        if self._broken:
            return {}
        try:
            return self._programs()
        except Exception:
            logger.exception("明白纸合并：无法生成共用的字体子集，各分段保留各自的字体子集")
            return {}

    def _programs(self) -> dict[str, bytes]:
        from weasyprint.text.fonts import get_hb_object_data

        programs = {}
        for key, (font, glyphs) in self._faces.items():
            if key in self._unfit or not glyphs:
                continue
            whole = get_hb_object_data(font.hb_face)  # the whole face (or collection) again
            font.file_content = whole
            font.subset(glyphs, hinting=False)  # WeasyPrint's default: no hinting
            if font.file_content is not whole:  # else subsetting failed: keep the chunks' own subsets
                programs[key] = font.file_content
        return programs


FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def _share_fonts(pages, programs: dict[str, bytes], shared: dict[str, object]) -> None:
    """Point the font descriptors used by `pages` (in the writer) at one program per face: the first
    descriptor's stream gets the union program, later ones are pointed at that stream."""
    from pypdf.generic import NameObject, NumberObject

    done = set()
    for page in pages:
        for ref in page.get("/Resources", {}).get("/Font", {}).values():
            if getattr(ref, "idnum", None) in done:
                continue
            done.add(getattr(ref, "idnum", None))
            font = ref.get_object()
            key = str(font.get("/BaseFont", "")).removeprefix("/").split("+")[0]
            if key not in programs or font.get("/Subtype") != "/Type0":
                continue
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            name = next((n for n in FONT_FILES if n in descriptor), None)
            if name is None:
                continue
            if key not in shared:
                stream = descriptor[name]
                stream.set_data(programs[key])
                if "/Length1" in stream:  # TrueType programs state their length
                    stream[NameObject("/Length1")] = NumberObject(len(programs[key]))
                shared[key] = descriptor.raw_get(name)
            else:
                descriptor[NameObject(name)] = shared[key]


def join(parts: list[Path], *, title: str, fonts: FontUnion | None = None) -> tuple[bytes, int]:
    """The pages of the PDF files `parts`, in order, as one PDF; and its number of pages.

    Only pages are taken (not the parts' named destinations, which repeat from part to part). With
    `fonts` (gathered from the parts' documents), each face's program is stored once.
    """
    from pypdf import PdfReader, PdfWriter

    programs = fonts.programs() if fonts else {}
    shared: dict[str, object] = {}
    writer = PdfWriter()
    for number, part in enumerate(parts):
        reader = PdfReader(part)
        if number == 0 and reader.metadata:
            writer.add_metadata({**reader.metadata, "/Title": title})
        added = [writer.add_page(page) for page in reader.pages]
        _share_fonts(added, programs, shared)
    # Drops the per-chunk programs no longer referenced, and stores repeated objects once.
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(writer.pages)
