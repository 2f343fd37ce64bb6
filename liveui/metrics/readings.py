"""`read_node`: every figure a node keeps about itself, as metric families.

No metrics library here: the parts count with plain ints (see `liveui.histogram`), and this module
turns a look at them into `Reading`s — named, typed, labelled values in Prometheus' data model.
`liveui.metrics.prometheus` serves them as `/metrics`; the dev panel shows them. Gauges (open
connections, queue depths) are computed at read time by walking the node's connections, so
nothing is maintained for them between scrapes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..channels.endpoint import Endpoint
from ..channels.presence import Presence
from ..channels.transports.longpoll import LongPollSession
from ..channels.transports.websocket import WebSocketTransport
from ..dispatch.dispatch import Dispatch
from ..histogram import Histogram
from ..live.app import LiveUI

if TYPE_CHECKING:
    from ..node import Node

__all__ = ["QUEUE_DEPTH_BUCKETS", "Reading", "read_node"]

Kind = Literal["counter", "gauge", "histogram", "gaugehistogram"]
Labels = tuple[tuple[str, str], ...]

QUEUE_DEPTH_BUCKETS: tuple[float, ...] = (0, 1, 4, 16, 64, 256, 1024)
"""Frames or patches waiting per connection: 0 is a connection that keeps up."""

# Families both servers report (the channel socket and the live views): one help text each.
CONNECTIONS = (
    "liveui_connections",
    "Open connections, by transport (socket_websocket, socket_longpoll, live_sse, "
    "live_websocket).",
)
QUEUE_DEPTH = ("liveui_outbound_queue_depth", "Frames or patches waiting per connection, now.")
SLOW_CLIENTS = (
    "liveui_slow_client_drops_total",
    "Connections closed because the client could not keep up (socket: outbound queue or "
    "channel mailbox full; live: too many patches pending).",
)


@dataclass(frozen=True, slots=True)
class Reading:
    name: str
    """Prometheus name; counters end in `_total`."""
    kind: Kind
    help: str
    values: tuple[tuple[Labels, float], ...] = ()
    """Counters and gauges: `(labels, value)` pairs."""
    buckets: tuple[tuple[float, int], ...] = ()
    """Histograms: cumulative `(upper bound, count)`, the last bound infinite."""
    sum: float = 0.0

    def total(self) -> float:
        """All values added up (a histogram: its count)."""
        if self.buckets:
            return float(self.buckets[-1][1])
        return sum(value for _, value in self.values)


def _one(name: str, kind: Kind, help_: str, value: float) -> Reading:
    return Reading(name, kind, help_, (((), float(value)),))


def _by(name: str, kind: Kind, help_: str, label: str, counts: Mapping[str, float]) -> Reading:
    return Reading(
        name, kind, help_, tuple((((label, key),), float(counts[key])) for key in sorted(counts))
    )


def _histogram(name: str, kind: Kind, help_: str, histogram: Histogram) -> Reading:
    return Reading(name, kind, help_, buckets=tuple(histogram.cumulative()), sum=histogram.sum)


def _depths(depths: Iterable[int]) -> Histogram:
    histogram = Histogram(QUEUE_DEPTH_BUCKETS)
    for depth in depths:
        histogram.observe(depth)
    return histogram


def read_node(node: Node) -> list[Reading]:
    """A consistent look at every part of `node` (call it on the node's event loop)."""
    out = _pubsub(node)
    out.append(_one("liveui_revocations_total", "counter",
                    "Login revocations applied on this node (its own and other nodes').",
                    node.revocations.applied))
    for endpoint in node.parts(Endpoint):
        out.extend(_channels(endpoint))
    for presence in node.parts(Presence):
        out.append(Reading(
            "liveui_presence_entries", "gauge",
            "Presence entries (one per tracked connection and key) this node owns.",
            (((("presence", presence.name),), float(len(presence.table.own))),),
        ))
    for live in node.parts(LiveUI):
        out.extend(_live(live))
    for dispatch in node.parts(Dispatch):
        out.extend(_dispatch(dispatch))
    return _merged(out)


def _pubsub(node: Node) -> list[Reading]:
    hub = node.hub
    listening = hub.backend.listen_outage
    publish_down = hub.publish_outage.in_outage
    listen_down = listening is not None and listening.in_outage
    outages = {"publish": hub.publish_outage.outages}
    if listening is not None:
        outages["listen"] = listening.outages
    return [
        _by("liveui_broadcasts_total", "counter",
            "Broadcasts sent from this node, by topic class (the topic up to its first ':').",
            "topic_class", hub.broadcasts),
        _one("liveui_broadcasts_received_total", "counter",
             "Broadcasts received from other nodes through pub/sub.", hub.received),
        _one("liveui_pubsub_up", "gauge",
             "1 while the pub/sub backend publishes and listens, 0 during an outage.",
             0 if publish_down or listen_down else 1),
        _by("liveui_pubsub_outages_total", "counter",
            "Pub/sub outages since start, by side (publish, listen).", "side", outages),
        _one("liveui_pubsub_publish_retries_total", "counter",
             "Publish attempts that failed and were retried with backoff.",
             hub.publish_outage.failed_attempts),
        _one("liveui_pubsub_dropped_total", "counter",
             "Broadcasts the bounded outbox dropped while the backend was away (the other "
             "nodes are then told to resync).", hub.dropped_publishes),
        _one("liveui_pubsub_pending", "gauge",
             "Broadcasts waiting to be published.", hub.pending_publishes),
        _one("liveui_pubsub_resyncs_total", "counter",
             "Resyncs from the database after pub/sub may have lost messages.",
             hub.resync_count),
    ]


def _transport_name(transport: object) -> str:
    if isinstance(transport, WebSocketTransport):
        return "websocket"
    if isinstance(transport, LongPollSession):
        return "longpoll"
    return type(transport).__name__.lower()


def _channels(endpoint: Endpoint) -> list[Reading]:
    by_transport: Counter[str] = Counter()
    joined: Counter[str] = Counter()
    depths: list[int] = []
    for connection in list(endpoint.connections):
        transport = connection.transport
        by_transport[_transport_name(transport)] += 1
        depths.append(transport.queue_depth())
        for topic in connection.channels:
            joined[topic.partition(":")[0]] += 1
    return [
        _by(CONNECTIONS[0], "gauge", CONNECTIONS[1], "transport",
            {f"socket_{name}": n for name, n in by_transport.items()}),
        _one("liveui_socket_connections_accepted_total", "counter",
             "Channel-socket connections accepted since start.", endpoint.accepted),
        _by("liveui_socket_closes_total", "counter",
            "Channel-socket connections ended, by who closed them: 'client', or the server's "
            "close code (1013: too slow — outbound queue or channel mailbox full).",
            "code", endpoint.closes),
        _by("liveui_channels_joined", "gauge",
            "Joined channels, by topic class (the topic up to its first ':').",
            "topic_class", joined),
        _histogram(QUEUE_DEPTH[0], "gaugehistogram", QUEUE_DEPTH[1], _depths(depths)),
        _by(SLOW_CLIENTS[0], "counter", SLOW_CLIENTS[1], "side",
            {"socket": endpoint.closes.get("1013", 0)}),
    ]


def _live(live: LiveUI) -> list[Reading]:
    registry = live.registry
    stats = registry.stats
    depths = [
        session.outbox.pending(connection.cursor, connection.max_pending)
        for session in list(registry.sessions.values())
        for connection in session.connections
    ]
    return [
        _one("liveui_live_sessions", "gauge",
             "Live sessions (one per open page) held by this node.", len(registry)),
        _one("liveui_live_sessions_shared", "gauge",
             "Live session states held: tabs of one login showing the same page share one.",
             len(registry.sessions)),
        _one("liveui_live_sessions_paused", "gauge",
             "Live sessions paused because their tab is hidden (nothing rendered for them).",
             registry.paused_count()),
        _by(CONNECTIONS[0], "gauge", CONNECTIONS[1], "transport",
            {f"live_{name}": n for name, n in stats.connections.items()}),
        _by("liveui_live_attaches_total", "counter",
            "Live connections by how they found their session: new, joined (shared with "
            "tabs showing the same page), replay (from the buffer after a reconnect), resync "
            "(re-rendered from the database) or split (a tab that left a shared session).",
            "kind", stats.attaches),
        _by("liveui_live_closes_total", "counter",
            "Live connections the server closed, by close code.", "code", stats.closes),
        _by(SLOW_CLIENTS[0], "counter", SLOW_CLIENTS[1], "side",
            {"live": stats.slow_client_drops}),
        _one("liveui_live_patches_total", "counter", "Patches queued for live pages.",
             stats.patches),
        _one("liveui_live_patch_bytes_total", "counter", "Bytes of those patches.",
             stats.patch_bytes),
        _one("liveui_live_writes_total", "counter",
             "Writes to live pages (one per tab per loop turn, however many patches).",
             stats.writes),
        _one("liveui_live_verified_total", "counter",
             "Sessions compared with the database by anti-entropy.", registry.verified),
        _one("liveui_live_repairs_total", "counter",
             "Sessions anti-entropy found drifted and repaired.", registry.repairs),
        _histogram(QUEUE_DEPTH[0], "gaugehistogram", QUEUE_DEPTH[1], _depths(depths)),
    ]


def _dispatch(dispatch: Dispatch) -> list[Reading]:
    coalescer = dispatch.coalescer
    return [
        _one("liveui_recounts_total", "counter",
             "Grouped counter recounts (each covers every commit of its window).",
             coalescer.recomputes),
        _one("liveui_recount_failures_total", "counter", "Recounts that raised.",
             coalescer.failures),
        _histogram("liveui_recount_seconds", "histogram",
                   "How long a recount took, queries and broadcasts included.",
                   coalescer.durations),
    ]


def _merged(readings: list[Reading]) -> list[Reading]:
    """One family per name: parts that report the same metric (connections of both servers,
    queue depths of both) are added up label by label."""
    merged: dict[str, Reading] = {}
    for reading in readings:
        seen = merged.get(reading.name)
        if seen is None:
            merged[reading.name] = reading
            continue
        if reading.buckets:
            buckets = tuple(
                (bound, a + b)
                for (bound, a), (_, b) in zip(seen.buckets, reading.buckets, strict=True)
            )
            merged[reading.name] = Reading(seen.name, seen.kind, seen.help,
                                           buckets=buckets, sum=seen.sum + reading.sum)
            continue
        values: dict[Labels, float] = dict(seen.values)
        for labels, value in reading.values:
            values[labels] = values.get(labels, 0.0) + value
        merged[reading.name] = Reading(seen.name, seen.kind, seen.help,
                                       tuple(sorted(values.items())))
    return list(merged.values())
