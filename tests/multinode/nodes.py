"""The demo nodes of a multi-node test: A and B on one shop database and one pub/sub backend."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from demo.process import DemoProcess
from tests.multinode.cluster import SECRET_KEY, ShopDatabase

__all__ = ["Cluster", "running_cluster", "shop_database"]


def shop_database(postgres_url: str) -> Iterator[ShopDatabase]:
    """A fresh shop database, dropped afterwards (the body of the fixtures below)."""
    database = ShopDatabase(postgres_url)
    database.create()
    try:
        yield database
    finally:
        database.drop()


@dataclass
class Cluster:
    a: DemoProcess
    b: DemoProcess
    db: ShopDatabase
    pubsub_url: str

    @property
    def alice(self) -> int:
        return self.db.user_id("alice")


@contextlib.contextmanager
def running_cluster(
    db: ShopDatabase,
    pubsub_url: str,
    log_dir: Path,
    transports: tuple[str, str] = ("sse", "sse"),
) -> Iterator[Cluster]:
    """Nodes A and B on one database and one pub/sub backend, each serving live pages over its
    own transport (`LIVEUI_TRANSPORT`). A starts first: it seeds the users, and B finds them
    there."""
    env = {"LIVEUI_DATABASE_URL": db.url, "LIVEUI_PUBSUB_URL": pubsub_url}
    a, b = (
        DemoProcess(
            log_dir, secret_key=SECRET_KEY, transport=transport, env=env, name=f"node-{name}"
        )
        for name, transport in zip(("a", "b"), transports, strict=True)
    )
    try:
        a.start()
        b.start()
        yield Cluster(a, b, db, pubsub_url)
    except BaseException:
        print(f"--- node a ---\n{a.log()}\n--- node b ---\n{b.log()}")
        raise
    finally:
        b.stop()
        a.stop()
