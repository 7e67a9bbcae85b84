"""Charts with Chinese labels: find a CJK font on disk (installed by `make fonts`) by its file path."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

# Debian's fonts-wqy-microhei and fonts-noto-cjk; the first found wins.
CJK_FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


@cache
def cjk_family(candidates: tuple[str, ...] = CJK_FONT_FILES) -> str | None:
    """Register the first CJK font file found with matplotlib; its family name, or None if there is none."""
    from matplotlib import font_manager

    for path in candidates:
        if Path(path).is_file():
            font_manager.fontManager.addfont(path)
            return str(font_manager.FontProperties(fname=path).get_name())
    return None


def render_png(draw: Callable[[Any, str | None], None], *, size: tuple[float, float], family: str | None) -> bytes:
    """Draw on a fresh figure with the CJK family (when there is one) and return the PNG bytes.

    `draw(figure, family)` gets the family so it can leave Chinese text out of the image when it is None
    (the HTML then carries the labels)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    families = [family, "DejaVu Sans"] if family else ["DejaVu Sans"]
    with pyplot.rc_context({"axes.unicode_minus": False, "font.family": families}):
        figure = pyplot.figure(figsize=size, dpi=110)
        try:
            draw(figure, family)
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", bbox_inches="tight")
        finally:
            pyplot.close(figure)
    return buffer.getvalue()


def numbered(labels: Iterable[str], family: str | None) -> list[str]:
    """The labels themselves with a CJK font; else 1, 2, … keyed to a legend the HTML shows."""
    labels = list(labels)
    return labels if family else [str(n) for n in range(1, len(labels) + 1)]
