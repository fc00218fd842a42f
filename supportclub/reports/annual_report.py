"""The Kassenbericht (annual treasurer's report) as an A4 PDF for the members' meeting.

`annual_report_pdf(year)` gathers the figures (annual_data.py) and lays them out with reportlab
platypus in the embedded DejaVu font: overview, income and expense by category and by sphere,
account and fund balances at the start and end of the year, campaigns, grants with the grants
total, and the dashboard's charts; every page carries "Seite x von y".
"""

from datetime import date
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from supportclub.i18n import _
from supportclub.money import format_cents
from supportclub.pdf import FONT, FONT_BOLD, register_fonts
from supportclub.reports import charts
from supportclub.reports.annual_data import AnnualReport, annual_report_data
from supportclub.reports.labels import SPHERE_LABELS

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
WIDTH = PAGE_WIDTH - 2 * MARGIN
GRID = colors.HexColor("#adb5bd")
SHADE = colors.HexColor("#e9ecef")


def _styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles: body, small, headings, table cells."""
    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=12.5, spaceAfter=4)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10),
        "title": ParagraphStyle("title", parent=body, fontName=FONT_BOLD, fontSize=18, leading=22),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=FONT_BOLD, fontSize=12.5, leading=16, spaceBefore=10
        ),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0),
        "head_num": ParagraphStyle(
            "head_num", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0, alignment=TA_RIGHT
        ),
    }


STYLES: dict[str, ParagraphStyle] = {}


def _s(name: str) -> ParagraphStyle:
    """A style by name (built once, after the fonts are registered)."""
    if not STYLES:
        STYLES.update(_styles())
    return STYLES[name]


def _p(text: str, style: str = "cell") -> Paragraph:
    """Plain text as a paragraph (escaped)."""
    return Paragraph(escape(str(text)), _s(style))


def _table(header: list[str], rows: list[list], widths: list[float], *, total=None) -> Table:
    """A table: text columns as paragraphs, amount columns (str) right-aligned, a totals row."""
    numeric = [
        index for index, value in enumerate(rows[0] if rows else []) if isinstance(value, int)
    ]
    body = [[_p(h, "head_num" if i in numeric else "cell") for i, h in enumerate(header)]]
    for row in rows + ([total] if total else []):
        body.append([format_cents(v) if isinstance(v, int) else _p(v) for v in row])
    table = Table(body, colWidths=[w * WIDTH for w in widths], repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, 8.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    style += [("ALIGN", (col, 1), (col, -1), "RIGHT") for col in numeric]
    if total:
        style += [
            ("FONT", (0, -1), (-1, -1), FONT_BOLD, 8.5),
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
        ]
    table.setStyle(TableStyle(style))
    return table


def _section(title: str, *flowables) -> list:
    """A heading kept with the start of what follows."""
    return [CondPageBreak(40 * mm), Paragraph(escape(title), _s("h2")), *flowables]


def _overview(report: AnnualReport) -> list:
    """Title block and the year's totals."""
    result = report.income_cents + report.expense_cents
    items = [
        Paragraph(escape(_("Kassenbericht %(year)s", year=report.year)), _s("title")),
        _p(report.association, "body"),
    ]
    if report.address:
        items.append(_p(report.address, "small"))
    items += [
        _p(_("Erstellt am %(date)s", date=report.created_on.strftime("%d.%m.%Y")), "small"),
        Spacer(0, 4 * mm),
        _table(
            [_("Überblick"), _("Betrag")],
            [
                [_("Einnahmen"), report.income_cents],
                [_("Ausgaben"), report.expense_cents],
            ],
            [0.7, 0.3],
            total=[_("Ergebnis des Jahres"), result],
        ),
    ]
    return items


def _categories(report: AnnualReport) -> list:
    """Income and expense by category, then neutral movements."""
    title = _("Einnahmen und Ausgaben nach Kategorien")
    rows = [
        [r.name, str(SPHERE_LABELS[r.sphere]), r.income_cents, r.expense_cents, r.net_cents]
        for r in report.categories
        if not r.neutral
    ]
    if not rows:
        return _section(title, _p(_("Keine Buchungen in diesem Jahr."), "body"))
    income, expense = report.income_cents, report.expense_cents
    header = [_("Kategorie"), _("Sphäre"), _("Einnahmen"), _("Ausgaben"), _("Ergebnis")]
    total = [_("Summe"), "", income, expense, income + expense]
    items = _section(title, _table(header, rows, [0.28, 0.27, 0.15, 0.15, 0.15], total=total))
    neutral = [r for r in report.categories if r.neutral]
    if neutral:
        items += [
            Spacer(0, 2 * mm),
            _p(_("Ergebnisneutrale Bewegungen (Mittelzuweisungen, Umbuchungen):"), "small"),
            _table(
                [_("Kategorie"), _("Zufluss"), _("Abfluss")],
                [[r.name, r.income_cents, r.expense_cents] for r in neutral],
                [0.52, 0.24, 0.24],
            ),
        ]
    return items


def _spheres(report: AnnualReport) -> list:
    """Income and expense per tax sphere."""
    rows = [
        [str(SPHERE_LABELS[s.sphere]), s.income_cents, s.expense_cents, s.net_cents]
        for s in report.spheres
    ]
    income, expense = report.income_cents, report.expense_cents
    return _section(
        _("Nach steuerlichen Sphären"),
        _table(
            [_("Sphäre"), _("Einnahmen"), _("Ausgaben"), _("Ergebnis")],
            rows,
            [0.4, 0.2, 0.2, 0.2],
            total=[_("Summe"), income, expense, income + expense],
        ),
    )


def _balances(report: AnnualReport) -> list:
    """Accounts and funds at the start and at the end of the year."""
    start = _("1.1.%(year)s", year=report.year)
    end = _("31.12.%(year)s", year=report.year)
    header = [None, start, end, _("Veränderung")]
    widths = [0.4, 0.2, 0.2, 0.2]
    items = []
    for title, label, rows in (
        (_("Kontostände"), _("Konto"), report.accounts),
        (_("Fonds (wessen Geld es ist)"), _("Fonds"), report.funds),
    ):
        header[0] = label
        total = [
            _("Summe"),
            *(
                sum(getattr(r, a) for r in rows)
                for a in ("start_cents", "end_cents", "change_cents")
            ),
        ]
        items += _section(
            title,
            _table(
                list(header),
                [[r.name, r.start_cents, r.end_cents, r.change_cents] for r in rows],
                widths,
                total=total,
            ),
        )
    return items


def _campaigns(report: AnnualReport) -> list:
    """Each campaign's revenue, costs and result."""
    if not report.campaigns:
        return _section(
            _("Aktionen"), _p(_("Keine Aktionen mit Buchungen in diesem Jahr."), "body")
        )
    rows = [[c.campaign.name, c.revenue_cents, c.cost_cents, c.net_cents] for c in report.campaigns]
    total = [_("Summe"), *(sum(r[i] for r in rows) for i in (1, 2, 3))]
    return _section(
        _("Aktionen"),
        _table(
            [_("Aktion"), _("Einnahmen"), _("Kosten"), _("Ergebnis")],
            rows,
            [0.4, 0.2, 0.2, 0.2],
            total=total,
        ),
    )


def _grants(report: AnnualReport) -> list:
    """Grants approved and paid in the year, the grants total."""
    total = report.grants_total
    summary = _table(
        [_("Förderungen"), _("Betrag")],
        [
            [_("bewilligt %(year)s", year=report.year), report.grants_approved_cents],
            [_("ausgezahlt %(year)s", year=report.year), report.grants_paid_cents],
            [
                _("Fördersumme seit Gründung zum 31.12.%(year)s", year=report.year),
                report.grants_total_end_cents,
            ],
            [_("davon vor Einführung der Software"), total.before_cents],
        ],
        [0.7, 0.3],
    )
    items = _section(_("Förderungen"), summary)
    if report.grants:
        items += [
            Spacer(0, 3 * mm),
            _table(
                [
                    _("Projekt"),
                    _("Antragsteller"),
                    _("Beschluss"),
                    _("Bewilligt"),
                    _("Ausgezahlt"),
                    _("Status"),
                ],
                [
                    [
                        r[0],
                        r[1],
                        r[2].strftime("%d.%m.%Y") if r[2] else "",
                        r[3].cents,
                        r[4].cents,
                        r[5],
                    ]
                    for r in report.grants
                ],
                [0.22, 0.2, 0.13, 0.14, 0.14, 0.17],
            ),
        ]
    return items


def _charts(report: AnnualReport) -> list:
    """The dashboard's three charts, drawn into the PDF."""
    kw = {"width": WIDTH, "font": FONT}
    grant_years = report.grant_years
    items = [
        (
            _("Einnahmen nach Herkunft und Jahr"),
            charts.income_chart(report.income_series, height=270, **kw),
        ),
        (
            _("Förderungen je Jahr"),
            charts.grants_chart(
                [g.year for g in grant_years],
                [g.approved_cents for g in grant_years],
                [g.paid_cents for g in grant_years],
                height=220,
                **kw,
            ),
        ),
        (
            _("Fördersumme seit Gründung"),
            charts.grants_total_chart(report.grants_cumulative, height=200, **kw),
        ),
    ]
    return [KeepTogether(_section(title, drawing)) for title, drawing in items]


class _NumberedCanvas(Canvas):
    """A canvas that writes "Seite x von y" once the page count is known."""

    def __init__(self, *args, **kwargs):
        """A canvas that keeps its pages until the end."""
        super().__init__(*args, **kwargs)
        self._pages = []

    def showPage(self):  # noqa: N802 (reportlab API)
        """Keep the page's state; draw it at save time."""
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        """Draw every page with its number and the total, then write the file."""
        count = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(FONT, 7.5)
            self.setFillColor(colors.HexColor("#495057"))
            self.drawString(MARGIN, 12 * mm, self._footer_left)
            self.drawRightString(
                PAGE_WIDTH - MARGIN,
                12 * mm,
                _("Seite %(page)s von %(pages)s", page=self._pageNumber, pages=count),
            )
            super().showPage()
        super().save()


def render(report: AnnualReport) -> bytes:
    """The report as PDF bytes (A4, embedded DejaVu font)."""
    register_fonts()
    buffer = BytesIO()
    title = _("Kassenbericht %(year)s", year=report.year)
    doc = BaseDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN, title=title, author=report.association, creator="supportclub",
        lang="de-DE", invariant=True, initialFontName=FONT, initialFontSize=9.5,
    )  # fmt: skip
    frame = Frame(MARGIN, MARGIN, WIDTH, PAGE_HEIGHT - 2 * MARGIN, id="body")
    doc.addPageTemplates([PageTemplate("page", [frame])])
    footer = " · ".join(part for part in (report.association, title) if part)

    def canvasmaker(*args, **kwargs):
        """A numbered canvas with the report's footer line."""
        canvas = _NumberedCanvas(*args, **kwargs)
        canvas._footer_left = footer
        return canvas

    story = (
        _overview(report) + _categories(report) + _spheres(report) + _balances(report)
        + _campaigns(report) + _grants(report) + _charts(report)
    )  # fmt: skip
    doc.build(story, canvasmaker=canvasmaker)
    return buffer.getvalue()


def annual_report_pdf(year: int, *, today: date) -> bytes:
    """The Kassenbericht of `year` as PDF bytes."""
    return render(annual_report_data(year, today=today))
