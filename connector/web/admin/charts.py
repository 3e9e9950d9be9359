"""Small charts drawn as inline SVG: no script, no build step, readable on a phone."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 360, 150
LEFT, BOTTOM, TOP = 34, 20, 10
ROW = 22
LIST_WIDTH, LIST_LABEL = 320, 84


@dataclass(frozen=True)
class Series:
    """One set of bars: its name, a value per label, and its CSS class (colour)."""

    name: str
    values: Sequence[int]
    css: str


def column_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], fmt: Callable[[int], str] = str
) -> Markup:
    """Bars per label (grouped when there are several series), the top value on the axis, every few labels shown."""
    top = max([v for s in series for v in s.values] + [0]) or 1
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(labels), 1)
    bar = max(slot * 0.8 / max(len(series), 1), 1)
    every = max(1, len(labels) // 5)
    parts = [
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH}" y2="{TOP + plot_h}"/>',
        f'<text class="tick" x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end">{escape(fmt(top))}</text>',
        f'<text class="tick" x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end">0</text>',
    ]
    for i, label in enumerate(labels):
        x0 = LEFT + i * slot + slot * 0.1
        for j, s in enumerate(series):
            value = s.values[i]
            h = plot_h * value / top
            parts.append(
                f'<rect class="{s.css}" x="{x0 + j * bar:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}"><title>{escape(label)}: {escape(fmt(value))} {escape(s.name)}</title></rect>'
            )
        if i % every == 0:
            parts.append(
                f'<text class="tick" x="{LEFT + i * slot + slot / 2:.1f}" y="{HEIGHT - 6}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    legend = "".join(f'<span class="key {s.css}">{escape(s.name)}</span>' for s in series) if len(series) > 1 else ""
    return Markup(
        f'<figure class="chart"><figcaption>{escape(title)}{legend}</figcaption>'
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" preserveAspectRatio="none">'
        + "".join(parts)
        + "</svg></figure>"
    )


def bar_list(title: str, items: Sequence[tuple[str, int]], fmt: Callable[[int], str] = str) -> Markup:
    """Horizontal bars, one per named count (a distribution)."""
    top = max([v for _, v in items] + [0]) or 1
    height = ROW * max(len(items), 1) + 4
    label_w, plot_w = LIST_LABEL, LIST_WIDTH - LIST_LABEL - 40
    rows = []
    for i, (name, value) in enumerate(items):
        y = 2 + i * ROW
        w = plot_w * value / top
        rows.append(
            f'<text class="tick" x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(name)}</text>'
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{ROW - 8}">'
            f"<title>{escape(name)}: {escape(fmt(value))}</title></rect>"
            f'<text class="tick" x="{label_w + w + 6:.1f}" y="{y + 15}">{escape(fmt(value))}</text>'
        )
    return Markup(
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg viewBox="0 0 {LIST_WIDTH} {height}" role="img" aria-label="{escape(title)}">'
        + "".join(rows)
        + "</svg></figure>"
    )
