"""`liveui stats --url`: a node's `/metrics` as a short table, for a look without Grafana."""

from __future__ import annotations

import math
import urllib.request
from typing import Any

from .prometheus import _client

__all__ = ["fetch_metrics", "format_report"]

PROCESS_FIGURES = {
    "process_resident_memory_bytes": "resident memory",
    "process_cpu_seconds": "cpu seconds",
    "process_open_fds": "open files",
}


def fetch_metrics(url: str, *, token: str | None = None, timeout: float = 5.0) -> str:
    """GET `url` (a Prometheus text endpoint); raises OSError or ValueError on failure."""
    if not url.startswith(("http://", "https://")):
        raise ValueError("the URL must start with http:// or https://")
    request = urllib.request.Request(url, headers={"Accept": "text/plain"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body: bytes = response.read()
    return body.decode("utf-8", "replace")


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.3f}"


def _seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def _bytes(value: float) -> str:
    return f"{value / 1_000_000:.1f} MB"


def _quantile_bound(buckets: list[tuple[float, float]], count: float, q: float) -> float:
    """The smallest bucket bound holding the `q` quantile (an upper bound of it)."""
    wanted = math.ceil(count * q)
    for bound, cumulative in buckets:
        if cumulative >= wanted:
            return bound
    return math.inf


def _histogram_line(samples: list[Any], total: float, seconds: bool) -> str:
    buckets = sorted(
        (float(s.labels["le"]), s.value) for s in samples if s.name.endswith("_bucket")
    )
    count = buckets[-1][1] if buckets else 0.0  # the +Inf bucket holds every observation
    if not count:
        return "none"
    show = _seconds if seconds else _number
    p50, p99 = ("more" if math.isinf(b) else show(b)
                for b in (_quantile_bound(buckets, count, q) for q in (0.5, 0.99)))
    return f"count {_number(count)}, mean {show(total / count)}, p50 <= {p50}, p99 <= {p99}"


def format_report(text: str, source: str = "") -> str:
    """The liveui figures of a `/metrics` text (and a few of the process'), one per line."""
    parser = _client().parser
    lines = [f"liveui stats  {source}".rstrip(), ""]
    process: list[str] = []
    width = 34
    families = list(parser.text_string_to_metric_families(text))
    # The classic text format has no gauge histograms: their _gsum arrives as a family of its
    # own (untyped), which belongs to the histogram line.
    sums = {
        f.name.removesuffix("_gsum"): f.samples[0].value
        for f in families if f.name.endswith("_gsum") and f.samples
    }
    for family in families:
        name = family.name
        if name.endswith(("_gsum", "_gcount")):
            continue
        if name in PROCESS_FIGURES and family.samples:
            value = family.samples[0].value
            shown = _bytes(value) if name.endswith("_bytes") else _number(value)
            process.append(f"  {PROCESS_FIGURES[name]:<{width - 2}}{shown}")
            continue
        if not name.startswith("liveui_"):
            continue
        title = name.removeprefix("liveui_").replace("_", " ")
        if family.type in ("histogram", "gaugehistogram"):
            total = next((x.value for x in family.samples if x.name.endswith("_sum")),
                         sums.get(name, 0.0))
            line = _histogram_line(family.samples, total, seconds=name.endswith("_seconds"))
            lines.append(f"{title:<{width}}{line}")
            continue
        samples = family.samples
        if len(samples) == 1 and not samples[0].labels:
            lines.append(f"{title:<{width}}{_number(samples[0].value)}")
            continue
        lines.append(title if samples else f"{title:<{width}}0")
        for sample in samples:
            label = ", ".join(str(v) for v in sample.labels.values())
            lines.append(f"  {label:<{width - 2}}{_number(sample.value)}")
    if process:
        lines += ["process", *process]
    return "\n".join(lines)
