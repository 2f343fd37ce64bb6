"""Where a chart's marks go: axes, ticks, bars or lines, legend and table rows, as plain data.

`layout(state, ...)` turns the counts a `LiveChart` holds into numbers the SVG template only
prints (no arithmetic in templates, and one place to test the geometry). The y axis ends at a
"nice" number (1, 2 or 5 times a power of ten) so its tick labels are round; the x axis labels
at most `MAX_X_LABELS` buckets, the newest always among them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["MARGIN", "MAX_X_LABELS", "bucket_label", "layout", "nice_scale"]

MARGIN = {"left": 36, "right": 8, "top": 8, "bottom": 20}
LEGEND_HEIGHT = 16
MAX_X_LABELS = 6
MAX_Y_TICKS = 4


def nice_scale(top: float) -> tuple[int, list[int]]:
    """The axis maximum (>= top, at least 1) and its ticks from 0, at most MAX_Y_TICKS + 1."""
    top = max(top, 1)
    magnitude = 10 ** max(0, math.floor(math.log10(top / MAX_Y_TICKS))) if top > 1 else 1
    for factor in (1, 2, 5, 10):
        step = factor * magnitude
        if math.ceil(top / step) <= MAX_Y_TICKS:
            break
    ceiling = math.ceil(top / step) * step
    return ceiling, list(range(0, ceiling + 1, step))


def bucket_label(at: int, step: int, *, long: bool = False) -> str:
    """A bucket's start as people read it at this scale (UTC)."""
    moment = time.gmtime(at)
    if step >= 86400:
        return time.strftime("%b %d", moment)
    if long and step >= 3600:
        return time.strftime("%b %d %H:00 UTC", moment)
    if long:
        return time.strftime("%H:%M UTC", moment)
    return time.strftime("%H:00" if step >= 3600 else "%H:%M", moment)


def _series(state: Mapping[str, Any]) -> list[tuple[str, Sequence[int]]]:
    groups: Mapping[str, Sequence[int]] = state.get("groups") or {}
    if groups:
        return list(groups.items())
    return [("", state.get("counts") or [])]


def layout(state: Mapping[str, Any], *, kind: str, width: int, height: int,
           unit: str = "", show: Callable[[int], str] = str) -> dict[str, Any]:
    """Where every mark, label and tick of a chart goes; `show` writes a value for people
    (titles, y ticks, the table)."""
    counts: Sequence[int] = state.get("counts") or []
    start, step = int(state.get("start", 0)), max(1, int(state.get("step", 60)))
    series = _series(state)
    grouped = len(series) > 1 or bool(series and series[0][0])
    top_margin = MARGIN["top"] + (LEGEND_HEIGHT if grouped else 0)
    n = len(counts)
    if kind == "line":
        top = max((max(values, default=0) for _, values in series), default=0)
    else:
        top = max(counts, default=0)
    ceiling, ticks = nice_scale(top)
    tick_texts = [show(t) for t in ticks]
    # Room for the longest tick label ("$1,500.00" needs more than "4"): ~6 px a character.
    left = max(MARGIN["left"], 6 * max(map(len, tick_texts), default=0) + 10)
    bottom = height - MARGIN["bottom"]
    plot_w = width - left - MARGIN["right"]
    plot_h = bottom - top_margin

    def y(value: float) -> float:
        return round(bottom - plot_h * value / ceiling, 1)

    slot = plot_w / n if n else plot_w
    suffix = f" {unit}" if unit else ""
    whens = [bucket_label(start + i * step, step, long=True) for i in range(n)]
    marks: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for index, (name, values) in enumerate(series):
        label = f" · {name}" if name else ""
        if kind == "line":
            points = []
            for i, value in enumerate(values):
                points.append({"x": round(left + (i + 0.5) * slot, 1), "y": y(value), "n": value,
                               "series": name, "color": index,
                               "title": f"{whens[i]}{label}: {show(value)}{suffix}"})
            lines.append({"series": name, "color": index, "points": points,
                          "path": " ".join(f"{p['x']},{p['y']}" for p in points)})
            continue
        for i, value in enumerate(values):
            below = sum(v[i] for _, v in series[:index]) if grouped else 0
            top_y, base_y = y(below + value), y(below)
            marks.append({
                "x": round(left + i * slot + slot * 0.1, 1), "y": top_y,
                "w": round(max(slot * 0.8, 1), 1), "h": round(base_y - top_y, 1),
                "n": value, "series": name, "color": index,
                "title": f"{whens[i]}{label}: {show(value)}{suffix}",
            })
    every = max(1, math.ceil(n / MAX_X_LABELS))
    x_labels = [{"x": round(left + (i + 0.5) * slot, 1),
                 "text": bucket_label(start + i * step, step)}
                for i in range(n) if (n - 1 - i) % every == 0]
    y_ticks = [{"y": y(t), "text": text} for t, text in zip(ticks, tick_texts, strict=True)]
    legend = [{"series": name, "color": i, "x": left + i * 90} for i, (name, _) in
              enumerate(series)] if grouped else []
    rows = [{"when": whens[i], "cells": [show(values[i]) for _, values in series],
             "total": show(counts[i])} for i in range(n)]
    total = sum(counts)
    return {
        "marks": marks, "lines": lines, "x_labels": x_labels, "y_ticks": y_ticks,
        "legend": legend, "legend_y": MARGIN["top"] + 8, "rows": rows,
        "series": [name for name, _ in series] if grouped else [],
        "left": left, "right": width - MARGIN["right"], "top": top_margin, "bottom": bottom,
        "total": total, "peak": top, "empty": total == 0, "buckets": n,
        "first": whens[0] if whens else "", "last": whens[-1] if whens else "",
    }
