"""Fixtures of the multi-node suite: a fresh PostgreSQL database per module, alice's phoenix.js
client, and the HTTP users a test logs in. The nodes and the helpers the tests call are in
tests/multinode/nodes.py and tests/multinode/clients.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.compat.bridge import PhoenixClient
from tests.multinode.cluster import ShopDatabase, ShopUser
from tests.multinode.nodes import shop_database


@pytest.fixture(scope="module")
def shop_db(postgres_url: str) -> Iterator[ShopDatabase]:
    yield from shop_database(postgres_url)


@pytest.fixture
def phoenix(node_path: str) -> Iterator[PhoenixClient]:
    client = PhoenixClient(node_path)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def shop_users() -> Iterator[list[ShopUser]]:
    """Closes the HTTP clients a test logs in (append them)."""
    users: list[ShopUser] = []
    try:
        yield users
    finally:
        for user in users:
            user.close()


