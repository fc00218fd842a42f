"""The dashboard's charts, drawn with reportlab.graphics: SVG for the web, flowables for the PDF.

Each chart is a `Drawing` built from integer cents (the axis shows whole euros in German
format, "10.000 €"); the web page embeds it as an SVG data URI with an alt text, next to a table
with the same numbers, so nothing depends on JavaScript and nothing is loaded from elsewhere.
User text (campaign series names) only ever reaches the SVG through reportlab's renderer, which
escapes it as XML text.
"""

import base64

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors

from supportclub.i18n import _
from supportclub.reports.queries import IncomeSeries

WEB_FONT = "Helvetica"  # rendered by the browser's sans-serif (see svg_data_uri)
PALETTE = (
    colors.HexColor("#0d6efd"),
    colors.HexColor("#198754"),
    colors.HexColor("#fd7e14"),
    colors.HexColor("#6f42c1"),
    colors.HexColor("#20c997"),
    colors.HexColor("#d63384"),
    colors.HexColor("#ffc107"),
    colors.HexColor("#6c757d"),
)
LEFT, BOTTOM, TOP_GAP, LEGEND_ROW = 64, 36, 10, 14
MAX_LABEL = 32


def euro_label(cents: float) -> str:
    """An axis value (cents) as whole euros in German format: 1000000 -> "10.000 €"."""
    euros = int(round(cents / 100))  # an axis tick, not a booked amount
    return f"{euros:,} €".replace(",", ".")


def _size(font: str) -> int:
    """Label size: larger on the web (the image is scaled to the column), small in the PDF."""
    return 9 if font == WEB_FONT else 7


def _short(text: str) -> str:
    """A legend label of bounded length."""
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _legend(drawing: Drawing, pairs, font: str, width: float) -> float:
    """A legend in columns below the plot; returns the height it takes."""
    columns = 3 if width >= 420 else 2
    rows = -(-len(pairs) // columns)
    legend = Legend()
    legend.fontName, legend.fontSize = font, _size(font) + 1
    legend.alignment = "right"
    legend.x, legend.y = LEFT, rows * LEGEND_ROW
    legend.dx, legend.dy, legend.deltay = 8, 8, LEGEND_ROW
    legend.columnMaximum = rows
    legend.deltax = (width - LEFT) / columns
    legend.colorNamePairs = [(color, _short(name)) for color, name in pairs]
    drawing.add(legend)
    return rows * LEGEND_ROW + 6


def _axes(chart, names: list[str], font: str, values: list[list[int]]) -> None:
    """Category axis with the years, value axis from 0 in euros."""
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = _size(font)
    if len(names) > 12:
        chart.categoryAxis.labels.angle = 45
        chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = _size(font)
    chart.valueAxis.labelTextFormat = euro_label
    chart.valueAxis.valueMin = 0
    chart.valueAxis.rangeRound = "both"  # the top of the scale is a labelled tick
    if not any(v for column in values for v in column if v > 0):
        chart.valueAxis.valueMax = 100_00  # an empty chart still gets a sensible scale


def income_chart(series: IncomeSeries, *, width=640, height=300, font=WEB_FONT) -> Drawing:
    """Income by source per year as stacked bars."""
    drawing = Drawing(width, height)
    pairs = list(zip(PALETTE * 2, series.labels, strict=False))
    legend_height = _legend(drawing, pairs, font, width)
    chart = VerticalBarChart()
    chart.x, chart.y = LEFT, legend_height + BOTTOM
    chart.width, chart.height = width - LEFT - 10, height - chart.y - TOP_GAP
    data = [list(values) for values in series.values] or [[0] * len(series.years)]
    chart.data = data
    chart.categoryAxis.style = "stacked"
    stacks = [sum(column) for column in zip(*data, strict=True)]
    _axes(chart, [str(y) for y in series.years], font, [stacks])
    for index in range(len(data)):
        chart.bars[index].fillColor = PALETTE[index % len(PALETTE)]
        chart.bars[index].strokeColor = None
    drawing.add(chart)
    return drawing


def grants_chart(years: list[int], approved: list[int], paid: list[int], **kw) -> Drawing:
    """Grants approved and paid per year, side by side."""
    width, height, font = kw.get("width", 640), kw.get("height", 260), kw.get("font", WEB_FONT)
    drawing = Drawing(width, height)
    pairs = [(PALETTE[0], _("bewilligt")), (PALETTE[1], _("ausgezahlt"))]
    legend_height = _legend(drawing, pairs, font, width)
    chart = VerticalBarChart()
    chart.x, chart.y = LEFT, legend_height + BOTTOM
    chart.width, chart.height = width - LEFT - 10, height - chart.y - TOP_GAP
    chart.data = [approved or [0], paid or [0]]
    chart.barSpacing = 1
    _axes(chart, [str(y) for y in years] or [""], font, chart.data)
    for index in (0, 1):
        chart.bars[index].fillColor = PALETTE[index]
        chart.bars[index].strokeColor = None
    drawing.add(chart)
    return drawing


def grants_total_chart(points: list[tuple[int, int]], **kw) -> Drawing:
    """The grants total at the end of each year, as a line."""
    width, height, font = kw.get("width", 640), kw.get("height", 240), kw.get("font", WEB_FONT)
    drawing = Drawing(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y = LEFT, BOTTOM
    chart.width, chart.height = width - LEFT - 10, height - BOTTOM - TOP_GAP
    values = [cents for _year, cents in points] or [0]
    chart.data = [values]
    chart.joinedLines = 1
    chart.lines[0].strokeColor = PALETTE[0]
    chart.lines[0].strokeWidth = 2
    chart.lines[0].symbol = makeMarker("FilledCircle", size=4)
    _axes(chart, [str(year) for year, _cents in points] or [""], font, [values])
    drawing.add(chart)
    return drawing


def svg_data_uri(drawing: Drawing) -> str:
    """The drawing as an `<img src=...>` data URI (SVG, base64), with a sans-serif font."""
    svg = renderSVG.drawToString(drawing)
    svg = svg.replace(f"font-family: {WEB_FONT};", "font-family: 'DejaVu Sans', Arial, sans-serif;")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
