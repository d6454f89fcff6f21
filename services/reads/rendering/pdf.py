"""The people-facing case presentation (``people.document``) drawn as an archivable PDF:
PDF/A-3b, the shipped DejaVu fonts embedded, the pupil and case reference at the head of
every page, "side X av Y" at its foot.

Tables are drawn here rather than with fpdf2's ``table()``: word widths are measured once
and cached, lines wrapped by hand and written with ``text()``, which keeps a dossier of a
thousand events well under a second (``table()`` took about 2 ms a row). Column widths come
from the contents, as a browser lays out an HTML table, so the model carries no layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from importlib import resources
from typing import Any, cast

from fpdf import FPDF, __version__

FONT = "DejaVu"
FONTS = resources.files("services.reads.rendering") / "fonts"
PAD, GAP = 1.2, 0.9  # mm: cell padding left/right, top/bottom
GREY_LINE, GREY_FILL, GREY_TEXT = (170, 170, 170), (232, 232, 232), (90, 90, 90)


@dataclass(frozen=True)
class Attachment:
    """A file the PDF carries: a PDF/A-3 associated file of the whole document (its
    source), dated so that the same file gives the same bytes."""

    name: str
    data: bytes
    at: datetime
    description: str


def render(model: dict[str, Any], attachment: Attachment | None = None) -> bytes:
    document = _Pdf(model)
    if attachment is not None:
        document.embed_file(bytes=attachment.data, basename=attachment.name,
                            modification_date=attachment.at, creation_date=attachment.at,
                            mime_type="application/json", desc=attachment.description,
                            associated_file_relationship="Source", compress=True)
    document.title_page()
    for section in model["sections"]:
        document.section(section)
    document.signatures(model["signatures"])
    document.table_font = 7
    for number, appendix in enumerate(model["appendices"]):
        document.section(appendix, new_page=number == 0)
    return bytes(document.output())


class _Pdf(FPDF):
    def __init__(self, model: dict[str, Any]) -> None:
        super().__init__(format="A4", enforce_compliance="PDF/A-3B")
        self.model = model
        for style, name in (("", "DejaVuSansCondensed.ttf"),
                            ("B", "DejaVuSansCondensed-Bold.ttf")):
            with resources.as_file(FONTS / name) as path:
                self.add_font(FONT, style, str(path))
        self.set_margins(15, 20, 15)
        self.set_auto_page_break(True, 16)
        self.alias_nb_pages("{nb}")
        self._metadata(model["metadata"])
        self.table_font = 8
        self._widths: dict[tuple[str, float, str], float] = {}
        self._head: tuple[list[str], list[float]] | None = None
        self._planned: dict[int, list[float]] = {}

    def _metadata(self, meta: dict[str, str]) -> None:
        created = datetime.fromisoformat(meta["created"])
        self.set_lang("nb")
        self.set_title(meta["title"])
        self.set_subject(meta["subject"])
        self.set_author(meta["author"])
        self.set_creator("Skolefravær")
        self.set_producer(f"Skolefravær (fpdf2 {__version__})")
        self.set_creation_date(created)
        self.set_xmp_metadata(_xmp(meta, self.producer, created))

    # --- every page ---------------------------------------------------------------------------

    def header(self) -> None:
        head = self.model["header"]
        self.set_xy(self.l_margin, 8)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*GREY_TEXT)
        self.cell(self.epw / 2, 4, self.model["title"])
        self.set_font(FONT, "B", 7.5)
        self.set_text_color(0)
        self.cell(self.epw / 2, 4, f"{head['pupil']} · saksref. {head['reference']}",
                  align="R")
        self.set_draw_color(*GREY_LINE)
        self.line(self.l_margin, 13, self.w - self.r_margin, 13)
        self.set_y(self.t_margin)
        if self._head is not None:  # a table goes on: its column titles again
            self.set_font(FONT, "", self.table_font)
            self.set_fill_color(*GREY_FILL)
            self._row(*self._head, bold=True)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*GREY_TEXT)
        self.cell(self.epw / 2, 4, self.model["footer"])
        self.set_text_color(0)
        self.cell(self.epw / 2, 4, f"Side {self.page_no()} av {{nb}}", align="R")

    # --- the parts ----------------------------------------------------------------------------

    def title_page(self) -> None:
        self.add_page()
        self.set_font(FONT, "B", 16)
        self.multi_cell(0, 8, self.model["title"], new_x="LMARGIN", new_y="NEXT")
        self.ln(2)
        self._paragraphs(self.model["lead"])

    def section(self, section: dict[str, Any], new_page: bool = False) -> None:
        self.set_font(FONT, "B", 11.5)
        heading = 10 + 6 * len(cast(list[str], self.multi_cell(
            0, 6, section["title"], dry_run=True, output="LINES")))
        if new_page or self.y + heading + self._opening(section["blocks"]) > \
                self.page_break_trigger:  # no heading parted from what it heads
            self.add_page()
        self.ln(3)
        self.start_section(section["title"])
        self.set_font(FONT, "B", 11.5)
        self.multi_cell(0, 6, section["title"], new_x="LMARGIN", new_y="NEXT")
        self.ln(1)
        for block in section["blocks"]:
            getattr(self, f"_{block['kind']}")(block)
            self.ln(2)

    def _opening(self, blocks: list[dict[str, Any]]) -> float:
        """The height of what must stay on the page with a section's heading: the text
        before its first table, and that table's column titles and first row."""
        height = 0.0
        for block in blocks:
            if block["kind"] == "text":
                height += sum(self._paragraph_height(p) for p in block["paragraphs"])
            elif not block["rows"]:
                return height + 6
            else:
                return height + self._first_rows(block) + 2 * GAP
        return height

    def _paragraph_height(self, paragraph: str) -> float:
        self.set_font(FONT, "", 9)
        return 1 + 4.4 * len(cast(list[str], self.multi_cell(
            0, 4.4, paragraph, dry_run=True, output="LINES")))

    def _first_rows(self, block: dict[str, Any]) -> float:
        """The height of a table's column titles and (up to four lines of) its first row."""
        self.set_font(FONT, "", self.table_font)
        widths = self._widths_of(block)
        columns = block.get("columns")
        lines = (self._lines(columns, widths, bold=True) if columns else 0) + min(
            4, self._lines(block["rows"][0], widths, labelled=block["kind"] == "facts"))
        return lines * self.font_size_pt * 0.45 + 4 * GAP

    def signatures(self, signatures: list[dict[str, Any]]) -> None:
        width = (self.epw - 10) / len(signatures)
        self.set_font(FONT, "", 8.5)
        said = max(len(cast(list[str], self.multi_cell(
            width, 4.2, s["statement"], dry_run=True, output="LINES")))
            for s in signatures) * 4.2
        height = 14 + said + 12 * max(len(s["fields"]) for s in signatures)
        if self.y + height > self.page_break_trigger:
            self.add_page()
        self.ln(4)
        self.set_font(FONT, "B", 11.5)
        self.start_section("Underskrifter")
        self.cell(0, 6, "Underskrifter", new_x="LMARGIN", new_y="NEXT")
        top = self.y + 2
        for n, signature in enumerate(signatures):
            self._signature(signature, self.l_margin + n * (width + 10), top, width, said)
        self.set_y(top + height)

    def _signature(self, signature: dict[str, Any], x: float, top: float, width: float,
                   said: float) -> None:
        """One signatory: the role, what they sign for, and a line for each field, the
        lines of all signatories level whatever their statements' length."""
        self.set_xy(x, top)
        self.set_font(FONT, "B", 9.5)
        self.cell(width, 5, signature["role"], new_x="LEFT", new_y="NEXT")
        self.set_font(FONT, "", 8.5)
        self.multi_cell(width, 4.2, signature["statement"], align="L", new_x="LEFT",
                        new_y="NEXT")
        self.set_draw_color(0)
        self.set_y(top + 5 + said)
        for field in signature["fields"]:
            self.set_y(self.y + 8)
            self.line(x, self.y, x + width, self.y)
            self.set_x(x)
            self.set_font(FONT, "", 7)
            self.cell(width, 3.5, field, new_x="LEFT", new_y="NEXT")

    # --- blocks -------------------------------------------------------------------------------

    def _text(self, block: dict[str, Any]) -> None:
        self._paragraphs(block["paragraphs"])

    def _paragraphs(self, paragraphs: list[str]) -> None:
        self.set_font(FONT, "", 9)
        for paragraph in paragraphs:
            self.multi_cell(0, 4.4, paragraph, align="L", new_x="LMARGIN", new_y="NEXT")
            self.ln(1)

    def _facts(self, block: dict[str, Any]) -> None:
        self._grid(block)

    def _table(self, block: dict[str, Any]) -> None:
        if not block["rows"]:
            self._paragraphs([block["empty"]])
            return
        self._grid(block)

    def _widths_of(self, block: dict[str, Any]) -> list[float]:
        """The block's column widths, measured once for the page-break test and the drawing
        (the table font is set)."""
        key = id(block)
        if key not in self._planned:
            self._planned[key] = self._column_widths(block.get("columns"), block["rows"],
                                                     block["kind"] == "facts")
        return self._planned[key]

    def _grid(self, block: dict[str, Any]) -> None:
        columns, rows, labelled = block.get("columns"), block["rows"], block["kind"] == "facts"
        self.set_font(FONT, "", self.table_font)
        widths = self._widths_of(block)
        self.set_draw_color(*GREY_LINE)
        self.set_fill_color(*GREY_FILL)
        if self.y + self._first_rows(block) > self.page_break_trigger:
            self.add_page()  # no column titles alone at the foot of a page
        if columns:
            self._row(columns, widths, bold=True)
            self._head = (columns, widths)
        for row in rows:
            self._row(row, widths, labelled=labelled)
        self._head = None

    # --- drawing a table by hand --------------------------------------------------------------

    def _width(self, word: str, bold: bool) -> float:
        key = ("B" if bold else "", self.font_size_pt, word)
        found = self._widths.get(key)
        if found is None:
            style = self.font_style
            self.set_font(style=key[0])
            found = self._widths[key] = self.get_string_width(word)
            self.set_font(style=style)
        return found

    def _column_widths(self, columns: list[str] | None, rows: list[list[str]],
                       labelled: bool) -> list[float]:
        """Each column as wide as its content wants, within the page: every column gets at
        least its longest word, the room left goes to the columns whose text wraps."""
        count = len(rows[0])
        widest, longest_word = [0.0] * count, [0.0] * count
        for row, head in ([(columns, True)] if columns else []) + [(r, False) for r in rows]:
            for i, cell in enumerate(row):
                bold = head or (labelled and i == 0)
                space = self._width(" ", bold)
                for line in cell.split("\n"):
                    words = [self._width(w, bold) for w in _units(line)]
                    widest[i] = max(widest[i], sum(words) + space * (len(words) - 1))
                    longest_word[i] = max(longest_word[i], *words)
        room = self.epw - 2 * PAD * count
        least = [min(w, room * 0.5) for w in longest_word]
        want = [max(w, m) for w, m in zip(widest, least, strict=True)]
        if sum(want) <= room:
            grown = [w * room / sum(want) for w in want]
        elif sum(least) >= room:
            grown = [m * room / sum(least) for m in least]
        else:
            spare = room - sum(least)
            stretch = sum(w - m for w, m in zip(want, least, strict=True))
            grown = [m + spare * (w - m) / stretch for w, m in zip(want, least, strict=True)]
        return [g + 2 * PAD for g in grown]

    def _wrap(self, cell: str, width: float, bold: bool) -> list[str]:
        lines: list[str] = []
        space = self._width(" ", bold)
        width += 1e-6  # a column exactly as wide as its longest word holds it
        for paragraph in cell.split("\n"):
            line, used = "", 0.0
            for word in _units(paragraph):
                size = self._width(word, bold)
                if line and used + space + size <= width:
                    line, used = f"{line} {word}", used + space + size
                    continue
                if line:
                    lines.append(line)
                while size > width:  # a hash or an id: broken where the column ends
                    cut = self._fit(word, width, bold)
                    lines.append(word[:cut])
                    word = word[cut:]
                    size = self._width(word, bold)
                line, used = word, size
            lines.append(line)
        return lines

    def _fit(self, word: str, width: float, bold: bool) -> int:
        cut = len(word) - 1
        while cut > 1 and self._width(word[:cut], bold) > width:
            cut -= 1
        return cut

    def _wrapped(self, cells: list[str], widths: list[float], *, bold: bool = False,
                 labelled: bool = False) -> list[list[str]]:
        return [self._wrap(c, w - 2 * PAD, bold or (labelled and i == 0))
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))]

    def _lines(self, cells: list[str], widths: list[float], *, bold: bool = False,
               labelled: bool = False) -> int:
        return max(len(c) for c in self._wrapped(cells, widths, bold=bold, labelled=labelled))

    def _row(self, cells: list[str], widths: list[float], *, bold: bool = False,
             labelled: bool = False) -> None:
        height = self.font_size_pt * 0.45  # mm per line
        lines = self._wrapped(cells, widths, bold=bold, labelled=labelled)
        total, start = max(len(line) for line in lines), 0
        full_page = int((self.page_break_trigger - self.t_margin - 2 * GAP) // height) - 2
        while start < total:
            room = int((self.page_break_trigger - self.y - 2 * GAP) // height)
            if room < total - start and (room < 3 or total - start <= full_page):
                self.add_page()  # the header draws the column titles again
                continue
            end = min(total, start + room)
            self._draw(lines, widths, start, end, height, bold=bold, labelled=labelled)
            start = end

    def _draw(self, lines: list[list[str]], widths: list[float], start: int, end: int,
              height: float, *, bold: bool, labelled: bool) -> None:
        top, x = self.y, self.l_margin
        row_height = (end - start) * height + 2 * GAP
        for i, (cell, width) in enumerate(zip(lines, widths, strict=True)):
            shaded = bold or (labelled and i == 0)
            self.rect(x, top, width, row_height, style="DF" if shaded else "D")
            if (self.font_style == "B") != shaded:  # set_font costs: only on a change
                self.set_font(style="B" if shaded else "")
            for n, line in enumerate(cell[start:end]):
                if line:
                    self.text(x + PAD, top + GAP + (n + 0.78) * height, line)
            x += width
        if self.font_style:
            self.set_font(style="")
        self.y = top + row_height


def _units(line: str) -> list[str]:
    """The words of a line, a time (``06.10.2026 kl. 00:30``) kept as one."""
    words = line.split(" ")
    if "kl." not in words:
        return words
    units: list[str] = []
    for n, word in enumerate(words):
        if units and (word == "kl." or (n > 0 and words[n - 1] == "kl.")):
            units[-1] = f"{units[-1]} {word}"
        else:
            units.append(word)
    return units


def _xmp(meta: dict[str, str], producer: str, created: datetime) -> str:
    """The XMP packet PDF/A reads the metadata from, written here (not by fpdf2) so that the
    same dossier gives the same bytes: its times are the dossier's, not the clock's."""
    when = created.isoformat(timespec="seconds")
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"'
        ' xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(meta["title"])}</rdf:li>'
        '</rdf:Alt></dc:title>'
        f'<dc:creator><rdf:Seq><rdf:li>{escape(meta["author"])}</rdf:li></rdf:Seq></dc:creator>'
        '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">'
        f'{escape(meta["subject"])}</rdf:li></rdf:Alt></dc:description>'
        '<dc:language><rdf:Bag><rdf:li>nb</rdf:li></rdf:Bag></dc:language>'
        f'<xmp:CreateDate>{when}</xmp:CreateDate><xmp:ModifyDate>{when}</xmp:ModifyDate>'
        f'<xmp:MetadataDate>{when}</xmp:MetadataDate>'
        '<xmp:CreatorTool>Skolefravær</xmp:CreatorTool>'
        f'<pdf:Producer>{escape(producer)}</pdf:Producer>'
        '<pdfaid:part>3</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>'
        '</rdf:Description></rdf:RDF></x:xmpmeta>')
