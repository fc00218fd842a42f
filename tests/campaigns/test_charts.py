"""The series chart: a valid SVG document from integer cents, whatever the figures."""

import base64
from xml.dom import minidom

import pytest

from supportclub.campaigns.charts import (
    _euro_label,
    _step,
    _value_range,
    series_chart_svg,
    svg_data_uri,
)
from supportclub.campaigns.queries import SeriesYear


def texts(svg: str) -> list[str]:
    """The text strings drawn in an SVG."""
    doc = minidom.parseString(svg)
    return [
        "".join(n.data for n in t.childNodes if n.nodeType == n.TEXT_NODE).strip()
        for t in doc.getElementsByTagName("text")
    ]


def test_chart_names_years_legend_and_euro_ticks(app):
    rows = [SeriesYear(2023, 1, 56000, -20000, 30), SeriesYear(2025, 1, 101250, -23480, 80)]
    drawn = texts(series_chart_svg(rows))
    assert {"2023", "2025", "Einnahmen", "Kosten", "Ergebnis"} <= set(drawn)
    assert "0 €" in drawn and "1.000 €" in drawn


def test_a_loss_goes_below_zero(app):
    low, high, step = _value_range([SeriesYear(2024, 1, 10000, -25000, 0)])
    assert low < 0 < high and low <= -15000 and high >= 25000
    assert low % step == 0 and high % step == 0
    assert "-200 €" in texts(series_chart_svg([SeriesYear(2024, 1, 10000, -25000, 0)]))


def test_empty_series_still_draws(app):
    assert "Keine Daten" in texts(series_chart_svg([]))


@pytest.mark.parametrize(
    "span, step", [(100, 100), (1000, 200), (2500, 500), (4000, 1000), (123456, 50000)]
)
def test_round_steps(span, step):
    assert _step(span) == step


def test_euro_labels_and_data_uri():
    assert (_euro_label(0), _euro_label(120000), _euro_label(-50000)) == (
        "0 €",
        "1.200 €",
        "-500 €",
    )
    uri = svg_data_uri("<svg/>")
    assert uri.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == b"<svg/>"
