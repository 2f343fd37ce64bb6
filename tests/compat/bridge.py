"""`PhoenixClient`: pytest's handle on one Node process running the official phoenix.js client.

Commands go to `js/bridge.cjs` as JSON lines; its events (socket/channel callbacks and every
frame sent or received) come back as JSON lines and are kept in order. `wait` blocks until a
matching event arrives, with a timeout, and consumes it so the next `wait` finds the next one.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BRIDGE = Path(__file__).parent / "js" / "bridge.cjs"
ROOT = Path(__file__).resolve().parents[2]

Event = dict[str, Any]


class PhoenixClient:
    def __init__(self, node: str) -> None:
        self.events: list[Event] = []
        self._consumed: set[int] = set()
        self._cond = threading.Condition()
        self._tags = itertools.count(1)
        self._stderr: list[str] = []
        self._presence_seen: dict[str, int] = {}
        self._proc = subprocess.Popen(
            [node, str(BRIDGE)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        ready = self.wait("ready", timeout=10)
        self.phoenix_version: str = ready["phoenix"]

    # process ---------------------------------------------------------------------------------
    def _read_stdout(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            event = json.loads(line)
            with self._cond:
                self.events.append(event)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _read_stderr(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr.append(line)

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                self.send("exit")
                self._proc.wait(timeout=3)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()

    def send(self, cmd: str, **fields: Any) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps({"cmd": cmd, **fields}) + "\n")
        self._proc.stdin.flush()

    # events ----------------------------------------------------------------------------------
    def wait(
        self,
        t: str,
        timeout: float = 5.0,
        where: Callable[[Event], bool] | None = None,
        **match: Any,
    ) -> Event:
        """The first not-yet-consumed event of type `t` matching `match` (and `where`)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, event in enumerate(self.events):
                    if i not in self._consumed and _matches(event, t, match, where):
                        self._consumed.add(i)
                        return event
                errors = [e for e in self.events if e["t"] == "cmd_error"]
                if errors:
                    raise AssertionError(f"the bridge refused a command: {errors}")
                left = deadline - time.monotonic()
                if left <= 0 or self._proc.poll() is not None:
                    raise AssertionError(
                        f"no {t} event matching {match} within {timeout}s; last events:\n"
                        + "\n".join(json.dumps(e) for e in self.events[-25:])
                        + "".join(self._stderr)
                    )
                self._cond.wait(min(left, 0.5))

    def all(
        self, t: str, where: Callable[[Event], bool] | None = None, **match: Any
    ) -> list[Event]:
        """Every event of type `t` matching so far, consumed or not."""
        with self._cond:
            return [e for e in self.events if _matches(e, t, match, where)]

    def index(self, event: Event) -> int:
        with self._cond:
            return next(i for i, e in enumerate(self.events) if e is event)

    # commands --------------------------------------------------------------------------------
    def socket(
        self,
        sid: str,
        url: str,
        *,
        origin: str | None = None,
        params_seq: list[dict[str, Any]] | None = None,
        **opts: Any,
    ) -> None:
        fields: dict[str, Any] = {"id": sid, "url": url, "opts": opts}
        if origin is not None:
            fields["origin"] = origin
        if params_seq is not None:
            fields["paramsSeq"] = params_seq
        self.send("socket", **fields)

    def connect(self, sid: str) -> None:
        self.send("connect", socket=sid)

    def open_socket(self, sid: str, url: str, **opts: Any) -> None:
        """Create a socket, connect it and wait until it is open."""
        self.socket(sid, url, **opts)
        self.connect(sid)
        self.wait("open", socket=sid)

    def channel(self, cid: str, sid: str, topic: str, params: dict[str, Any] | None = None) -> None:
        self.send("channel", id=cid, socket=sid, topic=topic, params=params or {})

    def join(self, cid: str, timeout: int | None = None) -> None:
        self.send("join", channel=cid, **({"timeout": timeout} if timeout else {}))

    def joined(self, cid: str, sid: str, topic: str, params: dict[str, Any] | None = None) -> Event:
        """Create and join a channel; return its (ok) join event."""
        self.channel(cid, sid, topic, params)
        self.join(cid)
        event = self.wait("join", channel=cid)
        assert event["status"] == "ok", event
        return event

    def push(
        self,
        cid: str,
        event: str,
        payload: Any = None,
        *,
        timeout: int | None = None,
        statuses: list[str] | None = None,
    ) -> str:
        """Push on a channel; return the tag that its `reply` event will carry."""
        tag = f"p{next(self._tags)}"
        fields: dict[str, Any] = {
            "channel": cid,
            "event": event,
            "payload": payload or {},
            "tag": tag,
        }
        if timeout:
            fields["timeout"] = timeout
        if statuses:
            fields["statuses"] = statuses
        self.send("push", **fields)
        return tag

    def call(self, cid: str, event: str, payload: Any = None, **kw: Any) -> Event:
        """Push and wait for the reply event."""
        return self.wait("reply", tag=self.push(cid, event, payload, **kw))

    def raw(
        self, sid: str, topic: str, event: str, payload: Any = None, join_ref: str | None = None
    ) -> str:
        """A socket-level push (any topic, event and join_ref); return its ref."""
        tag = f"r{next(self._tags)}"
        self.send(
            "raw",
            socket=sid,
            topic=topic,
            event=event,
            payload=payload or {},
            join_ref=join_ref,
            tag=tag,
        )
        return str(self.wait("raw_sent", tag=tag)["ref"])

    def recv_frame(
        self,
        sid: str,
        ref: str | None = None,
        timeout: float = 5.0,
        where: Callable[[list[Any]], bool] | None = None,
    ) -> list[Any]:
        """The next V2 frame received on socket `sid` (with `ref`, and matching `where`)."""

        def pick(e: Event) -> bool:
            f = e["frame"]
            return (
                isinstance(f, list) and (ref is None or f[1] == ref) and (where is None or where(f))
            )

        frame: list[Any] = self.wait("recv", timeout, where=pick, socket=sid)["frame"]
        return frame

    def presence(self, pid: str, cid: str) -> None:
        """phoenix.js's `new Presence(channel)`: its onJoin/onLeave/onSync are reported as
        `presence_join` / `presence_leave` / `presence_sync` (with `list`) events."""
        self.send("presence", id=pid, channel=cid)

    def wait_presence(
        self, pid: str, expected: dict[str, list[Any]], key: str = "tab", timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Wait until presence `pid`'s list, as `{key: sorted(meta[key] for each meta)}`,
        equals `expected`; return that list."""

        def folded(e: Event) -> dict[str, list[Any]]:
            return {p["key"]: sorted(str(m.get(key)) for m in p["metas"]) for p in e["list"]}

        want = {k: sorted(str(v) for v in values) for k, values in expected.items()}
        after = self._presence_seen.get(pid, -1)
        event = self.wait(
            "presence_sync",
            timeout,
            where=lambda e: folded(e) == want and self.index(e) > after,
            presence=pid,
        )
        self._presence_seen[pid] = self.index(event)  # later waits look at later syncs only
        listed: list[dict[str, Any]] = event["list"]
        return listed

    def state(self, *, channel: str | None = None, socket: str | None = None) -> Event:
        tag = f"s{next(self._tags)}"
        fields: dict[str, Any] = {"tag": tag}
        if channel:
            fields["channel"] = channel
        if socket:
            fields["socket"] = socket
        self.send("state", **fields)
        return self.wait("state", tag=tag)

    def sent_frames(self, sid: str, event: str | None = None) -> list[list[Any]]:
        return [
            e["frame"]
            for e in self.all("sent", socket=sid)
            if isinstance(e["frame"], list) and (event is None or e["frame"][3] == event)
        ]

    def recv_frames(self, sid: str, event: str | None = None) -> list[list[Any]]:
        return [
            e["frame"]
            for e in self.all("recv", socket=sid)
            if isinstance(e["frame"], list) and (event is None or e["frame"][3] == event)
        ]


def _matches(
    event: Event, t: str, match: dict[str, Any], where: Callable[[Event], bool] | None
) -> bool:
    if event.get("t") != t or any(event.get(k) != v for k, v in match.items()):
        return False
    return where is None or where(event)
