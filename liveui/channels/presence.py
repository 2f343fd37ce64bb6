"""`Presence`: who is on a topic, across every node, in the shape phoenix.js's `Presence` reads.

    presence = Presence(node)

    class RoomChannel(Channel):
        async def join(self, topic, payload, socket):
            socket.send_info("after_join")
            return ok()

        async def handle_info(self, message, socket):
            if message == "after_join":
                presence.track(socket, socket.assigns["user_id"], {"online_at": now()})
                socket.push("presence_state", presence.list(socket.topic))

Each tracked entry belongs to the channel that tracked it and leaves when that channel ends
(leave, crash, closed connection). Changes reach the topic's subscribers as `presence_diff`,
batched per event-loop turn.

Across nodes: each node is a replica that owns its entries and publishes numbered deltas on
one pub/sub topic; the others keep a copy (see `presence_state.py`). Every node heartbeats on
the shared ticker; a delta or heartbeat showing a gap makes the receiver ask the owner for a
snapshot. A node not heard from for `down_after` seconds is dropped (its entries leave, as
`presence_diff` leaves to the local subscribers); a node that stops cleanly says so and is
dropped at once. A restarted node is a new replica with no entries.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..node import Node, Stage
from ..pubsub.broadcast import Broadcast
from .presence_state import Applied, Diffs, Metas, PresenceTable, Row, State

if TYPE_CHECKING:
    from .channel_socket import ChannelSocket
    from .roles import JoinedChannel

__all__ = ["PRESENCE_DIFF", "PRESENCE_STATE", "Presence"]

log = logging.getLogger("liveui.channels")

PRESENCE_STATE = "presence_state"
PRESENCE_DIFF = "presence_diff"
REPLICATION_TOPIC = "liveui.presence:"
"""Prefix of the pub/sub topic the replicas of one `Presence` (by name) talk on."""

_HEARTBEAT, _DELTA, _ASK, _SNAPSHOT, _BYE = "h", "d", "q", "s", "b"
_check_json = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def _new_replica_id() -> str:
    return uuid.uuid4().hex[:12]


class Presence:
    def __init__(
        self,
        node: Node,
        *,
        name: str = "presence",
        heartbeat_interval: float = 1.5,
        down_after: float = 10.0,
    ) -> None:
        """`heartbeat_interval`: seconds between this node's heartbeats (sent on the node's
        ticker, so at most one per tick). `down_after`: seconds of silence after which another
        node's entries are dropped; keep it several heartbeats long."""
        if down_after <= heartbeat_interval:
            raise ValueError("Presence: down_after must be longer than heartbeat_interval")
        self.node = node
        self.name = name
        self.heartbeat_interval = heartbeat_interval
        self.down_after = down_after
        self.topic = REPLICATION_TOPIC + name
        self.table = PresenceTable(_new_replica_id())
        self._refs = itertools.count(1)
        self._owned: dict[JoinedChannel, dict[tuple[str, str], str]] = {}
        self._joins: list[Row] = []
        self._leaves: list[tuple[str, str, str]] = []
        self._diffs = Diffs()
        self._flush_scheduled = False
        self._snapshot_scheduled = False
        self._last_heartbeat = 0.0
        self._ever_started = False
        self.started = False
        node.ticker.add(self._tick)
        # A producer of broadcasts: it stops after the endpoint, so the leaves of the closing
        # connections are still delivered, and then it tells the other nodes it is gone.
        node.attach(self, Stage.PRODUCER)

    @property
    def replica(self) -> str:
        """This node's identity among the replicas (new at every start)."""
        return self.table.own.id

    # the app-facing API ------------------------------------------------------------------------
    def track(
        self,
        socket: ChannelSocket,
        key: str | int,
        meta: Mapping[str, Any] | None = None,
        *,
        topic: str | None = None,
    ) -> str:
        """Track this channel under `key` on `topic` (default: the channel's topic) with
        `meta` (JSON data); returns the entry's `phx_ref`. One channel tracks a key of a topic
        once; a user with two tabs is one key with two metas."""
        process = _process_of(socket)
        topic = socket.topic if topic is None else topic
        key = str(key)
        owned = self._owned.get(process)
        if owned is None:
            owned = self._owned[process] = {}
            process.on_exit(lambda: self._untrack_process(process))
        if (topic, key) in owned:
            raise ValueError(f"liveui: {key!r} is already tracked on {topic!r} by this channel")
        owned[(topic, key)] = self._add(topic, key, meta, None)
        return owned[(topic, key)]

    def update(
        self,
        socket: ChannelSocket,
        key: str | int,
        meta: Mapping[str, Any],
        *,
        topic: str | None = None,
    ) -> str:
        """Replace the meta this channel tracks under `key`: the new one gets a new `phx_ref`
        and carries the old one as `phx_ref_prev`; returns the new ref."""
        process = _process_of(socket)
        topic = socket.topic if topic is None else topic
        key = str(key)
        owned = self._owned.get(process, {})
        old_ref = owned.get((topic, key))
        if old_ref is None:
            raise KeyError(f"liveui: {key!r} is not tracked on {topic!r} by this channel")
        ref = self._add(topic, key, meta, old_ref)
        self._remove(topic, key, old_ref)
        owned[(topic, key)] = ref
        return ref

    def untrack(
        self, socket: ChannelSocket, key: str | int | None = None, *, topic: str | None = None
    ) -> None:
        """Stop tracking `key` (every key when None) on `topic` for this channel."""
        process = _process_of(socket)
        topic = socket.topic if topic is None else topic
        owned = self._owned.get(process, {})
        for owned_topic, owned_key in list(owned):
            if owned_topic == topic and (key is None or owned_key == str(key)):
                self._remove(topic, owned_key, owned.pop((owned_topic, owned_key)))

    def list(self, topic: str | ChannelSocket) -> State:
        """`{key: {"metas": [meta, ...]}}` over every node: what `presence_state` carries.
        The metas are shared: do not change them."""
        return self.table.list(topic if isinstance(topic, str) else topic.topic)

    def get_by_key(self, topic: str | ChannelSocket, key: str | int) -> Metas:
        return self.table.get_by_key(topic if isinstance(topic, str) else topic.topic, str(key))

    # local changes -----------------------------------------------------------------------------
    def _add(self, topic: str, key: str, meta: Mapping[str, Any] | None, prev: str | None) -> str:
        ref = f"{self.table.own.id[:8]}{next(self._refs):x}"
        entry = dict(meta or {})
        entry["phx_ref"] = ref
        if prev is not None:
            entry["phx_ref_prev"] = prev
        else:
            entry.pop("phx_ref_prev", None)
        try:
            _check_json(entry)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"liveui: a presence meta must be JSON data: {exc}") from exc
        self.table.own.add(topic, key, entry)
        self._joins.append((topic, key, entry))
        self._diffs.join(topic, key, entry)
        self._schedule_flush()
        return ref

    def _remove(self, topic: str, key: str, ref: str) -> None:
        meta = self.table.own.remove(topic, key, ref)
        if meta is None:
            return
        self._leaves.append((topic, key, ref))
        self._diffs.leave(topic, key, meta)
        self._schedule_flush()

    def _untrack_process(self, process: JoinedChannel) -> None:
        for (topic, key), ref in self._owned.pop(process, {}).items():
            self._remove(topic, key, ref)

    def _schedule_flush(self) -> None:
        if self._flush_scheduled:
            return
        self._flush_scheduled = True
        if not self.node.call_soon(_call_soon_on_loop, self._flush):
            self._flush()  # no event loop at all (a unit test): deliver now

    def _flush(self) -> None:
        """One delta for the other nodes and one `presence_diff` per changed topic here."""
        self._flush_scheduled = False
        if not self._joins and not self._leaves:
            return
        joins, self._joins = self._joins, []
        leaves, self._leaves = self._leaves, []
        diffs, self._diffs = self._diffs, Diffs()
        own = self.table.own
        own.version += 1
        if self._replicating:
            self._publish(
                {"k": _DELTA, "r": own.id, "v": own.version, "j": joins, "l": leaves}
            )
        self._deliver(diffs)

    # replication -------------------------------------------------------------------------------
    @property
    def _replicating(self) -> bool:
        hub = self.node.hub
        return self.started and hub.started and hub.backend.is_distributed

    def _publish(self, message: dict[str, Any]) -> None:
        self.node.hub.broadcast(self.topic, "replica", message)

    def _deliver(self, diffs: Diffs) -> None:
        hub = self.node.hub
        for topic, diff in diffs.items():
            hub.deliver_local(Broadcast(topic, PRESENCE_DIFF, diff))

    def deliver(self, message: Broadcast) -> None:
        """A message of another replica (the hub calls this for the replication topic)."""
        body = message.payload
        try:
            kind, sender = body["k"], body["r"]
            if sender == self.table.own.id or not self.started:
                return
            now = time.monotonic()
            diffs = Diffs()
            if kind == _DELTA:
                joins = [(t, k, m) for t, k, m in body["j"]]
                leaves = [(t, k, r) for t, k, r in body["l"]]
                outcome = self.table.apply_delta(sender, body["v"], joins, leaves, now, diffs)
                if outcome is Applied.GAP:
                    self._ask_snapshot(sender, now)
            elif kind == _HEARTBEAT:
                if body["v"] > self.table.heard(sender, now).version:
                    self._ask_snapshot(sender, now)
            elif kind == _SNAPSHOT:
                rows = [(t, k, m) for t, k, m in body["e"]]
                self.table.apply_snapshot(sender, body["v"], rows, now, diffs)
            elif kind == _ASK:
                self.table.heard(sender, now)
                if body["to"] == self.table.own.id:
                    self._schedule_snapshot()
            elif kind == _BYE:
                self.table.drop(sender, diffs)
        except (KeyError, TypeError, ValueError, AttributeError):
            log.warning("liveui: ignored a malformed presence message: %.200r", body)
            return
        self._deliver(diffs)

    def _ask_snapshot(self, replica_id: str, now: float) -> None:
        replica = self.table.heard(replica_id, now)
        asked = replica.sync_asked_at
        if asked is not None and now - asked < self.heartbeat_interval:
            return  # asked recently; the answer may be on its way
        replica.sync_asked_at = now
        self._publish({"k": _ASK, "r": self.table.own.id, "to": replica_id})

    def _schedule_snapshot(self) -> None:
        # Several nodes asking in one turn get one answer (every node receives it).
        if not self._snapshot_scheduled:
            self._snapshot_scheduled = True
            self.node.call_soon(_call_soon_on_loop, self._send_snapshot)

    def _send_snapshot(self) -> None:
        self._snapshot_scheduled = False
        if not self._replicating:
            return
        self._flush()
        own = self.table.own
        self._publish({"k": _SNAPSHOT, "r": own.id, "v": own.version, "e": own.rows()})

    def _tick(self, now: float) -> None:
        if not self.started:
            return
        if now - self._last_heartbeat >= self.heartbeat_interval:
            self._last_heartbeat = now
            if self._replicating:
                self._flush()
                own = self.table.own
                self._publish({"k": _HEARTBEAT, "r": own.id, "v": own.version})
        silent = self.table.silent_since(now - self.down_after)
        if silent:
            diffs = Diffs()
            for replica_id in silent:
                log.warning(
                    "liveui: presence: node %s silent for %.1fs, its entries leave",
                    replica_id,
                    self.down_after,
                )
                self.table.drop(replica_id, diffs)
            self._deliver(diffs)

    # lifecycle (driven by the node) ------------------------------------------------------------
    async def start(self) -> None:
        if self._ever_started:  # a restarted node is a new replica with no entries
            self.table = PresenceTable(_new_replica_id())
            self._owned.clear()
        self._ever_started = True
        self.node.hub.subscribe(self.topic, self)
        self.started = True
        self._last_heartbeat = time.monotonic()
        if self._replicating:
            own = self.table.own
            self._publish({"k": _HEARTBEAT, "r": own.id, "v": own.version})

    async def stop(self) -> None:
        if not self.started:
            return
        self._flush()
        if self._replicating:
            self._publish({"k": _BYE, "r": self.table.own.id})
        self.started = False
        self.node.hub.unsubscribe(self.topic, self)
        self.table.remotes.clear()


def _call_soon_on_loop(fn: Any) -> None:
    """Run `fn` after the current callbacks: `Node.call_soon` runs in place on the loop thread,
    and a flush must wait for the rest of this turn's changes."""
    asyncio.get_running_loop().call_soon(fn)


def _process_of(socket: ChannelSocket) -> JoinedChannel:
    process = socket.connection.joined(socket)
    if process is None:
        raise RuntimeError(f"liveui: the channel of {socket.topic!r} has ended")
    return process
