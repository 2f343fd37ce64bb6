"""`LiveConnection.wake`: a connection writes in the broadcaster's call what is new to it — the
flush's one shared item when it is one patch behind, everything it missed otherwise."""

from __future__ import annotations

import time
import types
from collections.abc import Awaitable

from liveui.live.live_connection import Fresh, LiveConnection, Outgoing
from liveui.live.outbox import Outbox


class RecordingWriter:
    def __init__(self) -> None:
        self.written: list[list[Outgoing]] = []

    def write_now(self, items: list[Outgoing]) -> Awaitable[None] | None:
        self.written.append(items)
        return None


def _connection(outbox: Outbox, cursor: int) -> tuple[LiveConnection, RecordingWriter]:
    session = types.SimpleNamespace(outbox=outbox, stats=None, user_id=1, session_id="s")
    connection = LiveConnection(session, cursor, max_pending=16)  # type: ignore[arg-type]
    writer = RecordingWriter()
    connection.direct = writer
    connection.rest(lambda: None)  # idle, no task: written in the caller
    return connection, writer


def _fresh(outbox: Outbox, text: str) -> Fresh:
    seq = outbox.append(text)
    return Fresh(seq, [Outgoing("patch", outbox.event_id(seq), text)], time.monotonic())


def test_a_connection_one_patch_behind_writes_the_flushes_shared_item() -> None:
    outbox = Outbox(16)
    first, first_writes = _connection(outbox, 0)
    second, second_writes = _connection(outbox, 0)
    fresh = _fresh(outbox, "<b>1</b>")
    first.wake(fresh)
    second.wake(fresh)
    assert first_writes.written == second_writes.written == [fresh.items]
    assert first_writes.written[0] is fresh.items  # the same list and item: encoded once
    assert first.cursor == second.cursor == fresh.seq


def test_a_connection_that_missed_a_patch_writes_everything_it_missed() -> None:
    outbox = Outbox(16)
    behind, writes = _connection(outbox, 0)
    outbox.append("<b>1</b>")  # written while this connection could not take it
    fresh = _fresh(outbox, "<b>2</b>")
    behind.wake(fresh)
    [items] = writes.written
    assert [(i.event_id, i.text) for i in items] == [
        (outbox.event_id(1), "<b>1</b>"), (outbox.event_id(2), "<b>2</b>"),
    ]
    assert behind.cursor == 2


def test_a_connection_whose_task_is_writing_leaves_the_fresh_patch_to_it() -> None:
    outbox = Outbox(16)
    busy, writes = _connection(outbox, 0)
    woken: list[bool] = []
    busy.rest(lambda: woken.append(True))
    busy._unfinished = object()  # type: ignore[assignment]  # a write that had to wait
    busy.wake(_fresh(outbox, "<b>1</b>"))
    assert writes.written == [] and busy.cursor == 0  # its task takes it, in order
    assert woken == [True]
