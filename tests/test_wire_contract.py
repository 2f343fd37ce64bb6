"""The `user:<id>` wire contract lives in `liveui/user_events.py` alone.

In a copy of the package, two event names and one payload key are renamed in `user_events.py`
only; then, in a fresh process on that copy, a real commit goes through a real `Dispatch` to
the test recorder and to a joined `UserChannel`, the badge and the dropdown read the renamed
events, and the generated TypeScript SDK names them. Had any producer or reader a literal of
its own, it would miss the renamed event and this test would fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import liveui

PACKAGE = Path(liveui.__file__).parent
ROOT = PACKAGE.parent

RENAMES = {
    'COUNTER_UPDATED = "counter_updated"': 'COUNTER_UPDATED = "counter_changed"',
    'NEW_NOTIFICATION = "new_notification"': 'NEW_NOTIFICATION = "notification_created"',
}

SCRIPT = textwrap.dedent('''
    import asyncio, json, tempfile
    from pathlib import Path
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    import liveui
    from liveui import Dispatch, Endpoint, LiveBadge, Node, NotificationDropdown
    from liveui.codegen.schema import schema_from_dispatch
    from liveui.codegen.sdk import render_sdk
    from liveui.pubsub.broadcast import Broadcast
    from liveui.testing import ANY, BroadcastRecorder
    from liveui.user_events import counter_updated, user_topic
    from tests.channels.user_channels import client_for
    from tests.support.dispatch_schema import add_users, make_schema, settings_for

    assert liveui.__file__.startswith(COPY), liveui.__file__

    async def main():
        schema = make_schema()
        db = Path(tempfile.mkdtemp()) / "contract.db"
        engine = create_async_engine(f"sqlite+aiosqlite:///{db}")
        async with engine.begin() as conn:
            await conn.run_sync(schema.Base.metadata.create_all)
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        node = Node()
        Endpoint(node)
        recorder = BroadcastRecorder(forward=node.broadcast)  # what dispatch produces, passed on
        dispatch = Dispatch(settings_for(schema), node=node, engine=engine, broadcast=recorder)
        dispatch.install(sessions)
        await node.start()
        try:
            [alice] = await add_users(sessions, schema, 1)
            room = await (await client_for(dispatch, alice)).join(user_topic(alice))
            await room.assert_push("initial_state")
            async with sessions() as s:
                s.add(schema.Order(user_id=alice))
                await dispatch.notify(s, alice, title="Order placed")
                await s.commit()
            # UserChannel passes on what dispatch produced, under the renamed names.
            pushed = await room.assert_push("counter_changed", {
                "counter": "pending_orders", "value": 1, "version": ANY, "metadata": ANY})
            note = await room.assert_push("notification_created", ANY)
            assert note["title"] == "Order placed", note

            # Dispatch produced them, and the test helpers match them.
            produced = {b.event for b in recorder.events(alice)}
            assert {"counter_changed", "notification_created"} <= produced, produced
            assert not {"counter_updated", "new_notification"} & produced, produced
            found = await recorder.assert_counter_broadcast(alice, "pending_orders", 1)
            assert found["value"] == 1
            await recorder.assert_notification_broadcast(alice, "Order placed")

            # The badge and the dropdown read them, and ignore the old names.
            badge = LiveBadge("pending_orders")
            payload = counter_updated("pending_orders", 7, 10**12)
            assert not badge.handle_info(Broadcast(user_topic(alice), "counter_updated", payload))
            assert badge.handle_info(Broadcast(user_topic(alice), "counter_changed", payload))
            assert badge.state["value"] == 7
            dropdown = NotificationDropdown()
            dropdown.state = {"items": [], "more": False}
            assert not dropdown.handle_info(Broadcast(user_topic(alice), "new_notification", note))
            assert dropdown.handle_info(Broadcast(user_topic(alice), "notification_created", note))

            # The generated SDK names the renamed events.
            sdk = "\\n".join(render_sdk(schema_from_dispatch(dispatch), "test").values())
            assert "counter_changed" in sdk and "notification_created" in sdk
            assert "counter_updated" not in sdk and "new_notification" not in sdk, [
                line for line in sdk.splitlines()
                if "counter_updated" in line or "new_notification" in line]
        finally:
            await node.stop()
            await engine.dispose()
        print("followed")

    asyncio.run(main())
''')


def test_renaming_an_event_in_user_events_alone_is_followed_everywhere(tmp_path: Path) -> None:
    copy = tmp_path / "liveui"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    events = copy / "user_events.py"
    text = events.read_text()
    for old, new in RENAMES.items():
        assert old in text, f"user_events.py no longer has {old}"
        text = text.replace(old, new)
    events.write_text(text)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    script = f"COPY = {str(copy)!r}\n{SCRIPT}"
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    assert "followed" in done.stdout
