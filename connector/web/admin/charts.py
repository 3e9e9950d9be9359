"""Small charts drawn as inline SVG: no script, no build step, readable on a phone.

The drawing keeps its proportions (text is never stretched), the axes leave room for their longest label
at any magnitude, a series too small to see beside another gets an axis of its own on the right, and a
chart with nothing to show says so."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 360, 160
BOTTOM, TOP = 20, 12
CHAR = 6.6
"""Width of one character of an 11 px tick label, generously (digits and separators)."""
PAD = 6
ROW = 22
LIST_WIDTH = 360
SMALL_SHARE = 0.05
"""A second series whose largest value is under this share of the first's gets its own axis."""


@dataclass(frozen=True)
class Series:
    """One set of bars: its name, a value per label, and its CSS class (colour)."""

    name: str
    values: Sequence[int]
    css: str


def nice_top(value: int) -> int:
    """The axis top for ``value``: 1, 2 or 5 times a power of ten, at least ``value`` (and at least 1)."""
    if value <= 1:
        return 1
    power = 1
    while True:
        for step in (1, 2, 5):
            if step * power >= value:
                return step * power
        power *= 10


def _label_width(text: str) -> float:
    return len(text) * CHAR


def column_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[int], str] = str,
    empty: str = "No data",
) -> Markup:
    """Bars per label (grouped when there are several series), a left axis (and a right one for a series
    too small to see on it), every few labels shown along the bottom."""
    tops = [max([*s.values, 0]) for s in series]
    own_axis = len(series) > 1 and 0 < tops[1] < SMALL_SHARE * tops[0]
    left_top = nice_top(max(tops[:1] if own_axis else tops or [0]))
    right_top = nice_top(tops[1]) if own_axis else 0
    left_ticks = [fmt(left_top), fmt(left_top // 2), fmt(0)]
    right_ticks = [fmt(right_top), fmt(right_top // 2), fmt(0)] if own_axis else []
    left = PAD + max(_label_width(t) for t in left_ticks) + PAD
    right = (PAD + max(_label_width(t) for t in right_ticks) + PAD) if own_axis else PAD
    plot_w, plot_h = WIDTH - left - right, HEIGHT - BOTTOM - TOP
    base = TOP + plot_h
    slot = plot_w / max(len(labels), 1)
    bar = max(slot * 0.8 / max(len(series), 1), 0.5)
    every = max(1, int(-(-len(labels) * _label_width("00-00") // (plot_w * 0.8))))
    parts = [f'<line class="axis" x1="{left:.1f}" y1="{base}" x2="{left + plot_w:.1f}" y2="{base}"/>']
    for n, tick in enumerate(left_ticks):
        y = TOP + n * plot_h / 2
        parts.append(f'<text class="tick" x="{left - PAD:.1f}" y="{y + 4:.1f}" text-anchor="end">{escape(tick)}</text>')
    for n, tick in enumerate(right_ticks):
        y = TOP + n * plot_h / 2
        parts.append(f'<text class="tick right" x="{left + plot_w + PAD:.1f}" y="{y + 4:.1f}">{escape(tick)}</text>')
    for i, label in enumerate(labels):
        x0 = left + i * slot + slot * 0.1
        for j, s in enumerate(series):
            value = s.values[i]
            top = right_top if own_axis and j == 1 else left_top
            h = plot_h * value / top
            parts.append(
                f'<rect class="{s.css}" x="{x0 + j * bar:.1f}" y="{base - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}"><title>{escape(label)}: {escape(fmt(value))} {escape(s.name)}</title></rect>'
            )
        if i % every == 0:
            x = min(max(left + i * slot + slot / 2, _label_width(label) / 2 + 1), WIDTH - _label_width(label) / 2 - 1)
            parts.append(f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="middle">{escape(label)}</text>')
    if not any(tops):
        parts.append(
            f'<text class="empty" x="{left + plot_w / 2:.1f}" y="{TOP + plot_h / 2:.1f}" text-anchor="middle">'
            f"{escape(empty)}</text>"
        )
    legend = "".join(
        f'<span class="key {s.css}">{escape(s.name)}{" →" if own_axis and j == 1 else ""}</span>'
        for j, s in enumerate(series)
    )
    return Markup(
        f'<figure class="chart"><figcaption>{escape(title)}{legend if len(series) > 1 else ""}</figcaption>'
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        + "".join(parts)
        + "</svg></figure>"
    )


def bar_list(
    title: str,
    items: Sequence[tuple[str, int, str]],
    fmt: Callable[[int], str] = str,
    empty: str = "No data",
) -> Markup:
    """Horizontal bars, one per named count (a distribution); each name has a one-line meaning on hover."""
    top = max([v for _, v, _ in items] + [0]) or 1
    height = ROW * max(len(items), 1) + 4
    label_w = PAD + max([_label_width(name) for name, _, _ in items] + [0]) + PAD
    value_w = PAD + max([_label_width(fmt(v)) for _, v, _ in items] + [_label_width("0")]) + PAD
    plot_w = max(LIST_WIDTH - label_w - value_w, 20)
    rows = []
    for i, (name, value, hint) in enumerate(items):
        y = 2 + i * ROW
        w = plot_w * value / top
        tip = f"{name}: {fmt(value)}" + (f" ({hint})" if hint else "")
        rows.append(
            f"<g><title>{escape(tip)}</title>"
            f'<text class="tick" x="{label_w - PAD:.1f}" y="{y + 15}" text-anchor="end">{escape(name)}</text>'
            f'<rect class="bar" x="{label_w:.1f}" y="{y + 3}" width="{w:.1f}" height="{ROW - 8}"/>'
            f'<text class="tick" x="{label_w + w + PAD:.1f}" y="{y + 15}">{escape(fmt(value))}</text></g>'
        )
    if not items or not any(v for _, v, _ in items):
        middle = f'x="{LIST_WIDTH / 2}" y="{height / 2 + 4}" text-anchor="middle"'
        rows = [f'<text class="empty" {middle}>{escape(empty)}</text>']
    width = max(LIST_WIDTH, label_w + value_w + 20)
    return Markup(
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg viewBox="0 0 {width:.0f} {height}" role="img" aria-label="{escape(title)}">'
        + "".join(rows)
        + "</svg></figure>"
    )
