"""The series chart on a campaign's page: revenue, costs and net per year, as server-made SVG.

Drawn with reportlab.graphics, so the browser loads nothing but the page; the table beside the
chart holds the same numbers for readers without images.
"""

import base64

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from supportclub.campaigns.queries import SeriesYear
from supportclub.i18n import _

WIDTH, HEIGHT = 560, 250
COLORS = (colors.HexColor("#198754"), colors.HexColor("#dc3545"), colors.HexColor("#0d6efd"))
NICE_STEPS = (1, 2, 5)


def _euro_label(cents) -> str:
    """An axis tick in whole euros ("1.200 €"); ticks are drawing positions, not amounts."""
    euros = int(round(cents)) // 100
    return f"{euros:,} €".replace(",", ".")


def _step(span_cents: int) -> int:
    """A round tick distance in cents (1, 2 or 5 times a power of ten euros), ~5 ticks."""
    step = 100
    while True:
        for factor in NICE_STEPS:
            if span_cents <= 5 * step * factor:
                return step * factor
        step *= 10


def _value_range(rows: list[SeriesYear]) -> tuple[int, int, int]:
    """Axis minimum, maximum and step in cents, covering every bar and zero."""
    values = [0]
    for row in rows:
        values += [row.revenue_cents, -row.cost_cents, row.net_cents]
    low, high = min(values), max(values)
    step = _step(max(high - low, 100))
    return (low // step) * step, -((-high) // step) * step or step, step


def series_chart(rows: list[SeriesYear]) -> Drawing:
    """A grouped bar chart: revenue, costs (as positive bars) and net per year."""
    drawing = Drawing(WIDTH, HEIGHT)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 80, 30, WIDTH - 100, HEIGHT - 65
    chart.data = [
        [row.revenue_cents for row in rows],
        [-row.cost_cents for row in rows],
        [row.net_cents for row in rows],
    ]
    chart.categoryAxis.categoryNames = [str(row.year) for row in rows]
    chart.categoryAxis.labelAxisMode = "low"  # years below the bars, also under a loss
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = _value_range(
        rows
    )
    chart.valueAxis.labelTextFormat = _euro_label
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.labels.dx = -6  # browsers set the text a little wider than reportlab
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#dee2e6")
    chart.groupSpacing, chart.barSpacing = 8, 1
    for index, color in enumerate(COLORS):
        chart.bars[index].fillColor = color
        chart.bars[index].strokeColor = None
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 80, HEIGHT - 12
    legend.alignment, legend.columnMaximum = "right", 1
    legend.fontSize, legend.dx, legend.dy, legend.deltax = 9, 8, 8, 90
    labels = (_("Einnahmen"), _("Kosten"), _("Ergebnis"))
    legend.colorNamePairs = list(zip(COLORS, labels, strict=True))
    drawing.add(legend)
    if not rows:
        drawing.add(String(WIDTH / 2, HEIGHT / 2, _("Keine Daten"), textAnchor="middle"))
    return drawing


def series_chart_svg(rows: list[SeriesYear]) -> str:
    """The series chart as an SVG document (text)."""
    return renderSVG.drawToString(series_chart(rows))


def svg_data_uri(svg: str) -> str:
    """An SVG as a data: URI for <img src=...> (no separate request, no script)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
