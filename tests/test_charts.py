"""Charts carry Chinese labels without tofu: the CJK font is found by file and no glyph is missing."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from models.reports.circular import Circular, Tally, ranked
from tasks.reports.charts import CJK_FONT_FILES, cjk_family, render_png
from tasks.reports.circular import circular_chart, render
from tasks.reports.weekly import TargetSeries, chart_png


def glyph_warnings(render: Callable[[], bytes]) -> tuple[bytes, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = render()
    return png, [str(w.message) for w in caught if "Glyph" in str(w.message)]


def test_the_cjk_font_installed_by_make_fonts_is_the_one_matplotlib_finds() -> None:
    from matplotlib import font_manager

    family = cjk_family()
    assert family is not None, "no CJK font: run `make fonts` (Debian fonts-wqy-microhei)"
    found = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    assert found in CJK_FONT_FILES


def test_the_weekly_chart_renders_its_chinese_labels_without_missing_glyphs() -> None:
    days = [date(2022, 1, 3), date(2022, 1, 10), date(2022, 1, 17)]
    series = [TargetSeries("pilot-2021", date(2022, 1, 31), 0.25, days, [0.0, 0.1, 0.2], "2021年试点社区达标")]
    png, missing = glyph_warnings(lambda: chart_png(series))
    assert png[:4] == b"\x89PNG" and missing == []


def test_without_the_cjk_font_the_same_labels_would_be_tofu() -> None:
    """The check above can fail: Chinese drawn in the default font warns of every missing glyph."""

    def draw(figure: Any, _family: str | None) -> None:
        figure.subplots().set_title("达标社区占比")

    _, missing = glyph_warnings(lambda: render_png(draw, size=(3, 2), family=None))
    assert missing and "missing from font" in missing[0]


def a_circular() -> Circular:
    office = Tally("office:lead", "牵头办", 2, 1, 1, 3, 3)
    idle = Tally("office:works", "工程办", 0, 0, 0, 0, 0)
    community = Tally("community:c1", "社区一", 1, 1, 0, 0, 0)
    return Circular(
        "小测试",
        "小测试工作领导小组办公室",
        date(2022, 2, 7),
        "2022年2月",
        ranked([office, idle]),
        ranked([community]),
        [],
        [],
        [],
        3,
        2,
        1,
    )


def test_the_circular_chart_renders_its_chinese_labels_without_missing_glyphs() -> None:
    (png, legend), missing = glyph_warnings_pair(lambda: circular_chart(a_circular()))
    assert png[:4] == b"\x89PNG" and legend == [] and missing == []


def test_without_a_cjk_font_the_circular_numbers_its_bars_and_the_html_names_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tasks.reports.circular.cjk_family", lambda: None)
    (_, legend), missing = glyph_warnings_pair(lambda: circular_chart(a_circular()))
    assert missing == [] and legend == [("1", "牵头办"), ("2", "工程办"), ("3", "社区一")]
    html = render(a_circular(), "circular.html.j2", legend)
    assert "图中编号：1 牵头办；2 工程办；3 社区一" in html


def glyph_warnings_pair(render: Callable[[], tuple[bytes, list[tuple[str, str]]]]) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = render()
    return result, [str(w.message) for w in caught if "Glyph" in str(w.message)]


def test_without_a_cjk_font_the_weekly_chart_numbers_its_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    from tasks.reports import weekly

    monkeypatch.setattr(weekly, "cjk_family", lambda: None)
    days = [date(2022, 1, 3), date(2022, 1, 10)]
    series = [TargetSeries("pilot-2021", date(2022, 1, 31), 0.25, days, [0.0, 0.1], "2021年试点社区达标")]
    png, missing = glyph_warnings(lambda: chart_png(series))
    assert png[:4] == b"\x89PNG" and missing == []
    assert weekly.chart_legend(series) == [("1", "2021年试点社区达标")]
