"""`/metrics` for Prometheus: `metrics_app(node)` and `node_collector(node)`.

`prometheus_client` is an optional extra (`pip install 'liveui[metrics]'`); it is imported when
one of these is called, so an app that does not serve metrics does not need it. The figures are
read from the node at scrape time (`read_node`); nothing is pushed into a registry as it
happens, so serving metrics costs nothing between scrapes.

    app = Starlette(routes=[..., Route("/metrics", metrics_app(node, authorize=is_operator))])
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from ..errors import ConfigurationError
from .readings import Reading, read_node

if TYPE_CHECKING:
    from ..node import Node

__all__ = ["metrics_app", "node_collector"]

Authorize = Callable[[Request], bool | Awaitable[bool]]


def _client() -> Any:
    try:
        import prometheus_client
        import prometheus_client.core
        import prometheus_client.exposition
        import prometheus_client.parser
    except ImportError as exc:  # pragma: no cover - the dev extra installs it
        raise ConfigurationError(
            "liveui metrics need prometheus_client: pip install 'liveui[metrics]'"
        ) from exc
    return prometheus_client


def _bound(value: float) -> str:
    return "+Inf" if value == float("inf") else repr(float(value))


def _families(readings: list[Reading]) -> Iterator[Any]:
    core = _client().core
    for reading in readings:
        if reading.kind == "histogram":
            yield core.HistogramMetricFamily(
                reading.name, reading.help,
                buckets=[(_bound(b), n) for b, n in reading.buckets], sum_value=reading.sum,
            )
            continue
        if reading.kind == "gaugehistogram":
            yield core.GaugeHistogramMetricFamily(
                reading.name, reading.help,
                buckets=[(_bound(b), n) for b, n in reading.buckets], gsum_value=reading.sum,
            )
            continue
        kind = core.CounterMetricFamily if reading.kind == "counter" else core.GaugeMetricFamily
        label_names = [name for name, _ in reading.values[0][0]] if reading.values else []
        family = kind(reading.name, reading.help, labels=label_names)
        for labels, value in reading.values:
            family.add_metric([v for _, v in labels], value)
        yield family


def node_collector(node: Node) -> Any:
    """A `prometheus_client` collector of `node`'s figures, for an application's own registry
    (`REGISTRY.register(node_collector(node))`) when it already serves `/metrics`."""
    _client()

    class NodeCollector:
        def collect(self) -> Iterator[Any]:
            return _families(read_node(node))

    return NodeCollector()


class MetricsApp:
    """The ASGI app behind `metrics_app`."""

    def __init__(self, node: Node, authorize: Authorize | None, process: bool) -> None:
        client = _client()
        self.node = node
        self.authorize = authorize
        self.registry = client.CollectorRegistry(auto_describe=False)
        self.registry.register(node_collector(node))
        if process:  # CPU, memory and open files of this process, as Prometheus names them
            client.ProcessCollector(registry=self.registry)
            client.GCCollector(registry=self.registry)
        self._choose_encoder = client.exposition.choose_encoder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response: Response
        if request.method not in ("GET", "HEAD"):
            response = PlainTextResponse("method not allowed", 405, headers={"Allow": "GET"})
        elif self.authorize is not None and not await _allowed(self.authorize, request):
            response = PlainTextResponse("forbidden", 403)
        else:
            # OpenMetrics when the scraper asks for it (gauge histograms are typed there).
            encode, content_type = self._choose_encoder(request.headers.get("accept"))
            response = Response(encode(self.registry), headers={"Content-Type": content_type})
        await response(scope, receive, send)


async def _allowed(authorize: Authorize, request: Request) -> bool:
    verdict = authorize(request)
    if inspect.isawaitable(verdict):
        verdict = await verdict
    return verdict is True


def metrics_app(
    node: Node, *, authorize: Authorize | None = None, process: bool = True
) -> MetricsApp:
    """An ASGI app answering GET with `node`'s figures in Prometheus' text format.

    `authorize(request)` (sync or async) must return True for the request to be answered
    (403 otherwise); without it the figures are public, so mount it on an internal port or
    give it a check (a bearer token for the scraper, an operator's session). `process` adds
    the process' CPU, memory, open files and garbage collection."""
    return MetricsApp(node, authorize, process)
