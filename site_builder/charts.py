"""Bar charts drawn at build time: geometry here, SVG markup in ``templates/_bar_chart.html``.

Each bar has its label on a line above it, so the chart stays legible when it is scaled
down to a 375 px phone screen (the SVG has a viewBox and scales to the column width).
The numbers are repeated in a data table beside the chart for screen readers and for
exact reading; the SVG itself is a picture (``role="img"``).
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 360  # viewBox units: about one CSS pixel each on a phone
LABEL_HEIGHT = 20
BAR_HEIGHT = 14
GAP = 10
VALUE_SPACE = 52  # room right of the longest bar for its number
ROW = LABEL_HEIGHT + BAR_HEIGHT + GAP


@dataclass(frozen=True)
class Bar:
    label: str
    label_en: str
    value: int
    link: object  # a pages.Link: the page the bar stands for
    label_y: float
    bar_y: float
    width: float
    value_x: float
    share: str  # "12.3%"


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    title_en: str
    width: int
    height: int
    bar_height: int
    total: int
    bars: tuple[Bar, ...]

    @property
    def summary(self) -> str:
        """A one-sentence text alternative (the largest bars)."""
        top = "、".join(f"{b.label} {b.value:,}" for b in self.bars[:3])
        return f"{self.title}：共 {self.total:,} 项，最多的是 {top}。"


def bar_chart(chart_id: str, title: str, title_en: str,
              items: list[tuple[str, str, int, object]]) -> BarChart:
    """A horizontal bar chart of ``(label, label_en, value, link)`` items, in the given order."""
    top = max((v for _, _, v, _ in items), default=0) or 1
    total = sum(v for _, _, v, _ in items)
    usable = WIDTH - VALUE_SPACE
    bars = []
    for i, (label, label_en, value, link) in enumerate(items):
        y = i * ROW
        width = round(usable * value / top, 1)
        bars.append(Bar(label=label, label_en=label_en, value=value, link=link,
                        label_y=y + LABEL_HEIGHT - 5, bar_y=y + LABEL_HEIGHT, width=width,
                        value_x=round(width + 6, 1),
                        share=f"{100 * value / total:.1f}%" if total else "0%"))
    return BarChart(id=chart_id, title=title, title_en=title_en, width=WIDTH,
                    height=max(ROW * len(items), ROW), bar_height=BAR_HEIGHT, total=total,
                    bars=tuple(bars))
