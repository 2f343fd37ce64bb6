"""The demo as an attacker meets it (a real `python -m demo` process): a logout that sticks,
"Log out everywhere", tokens refused after a restart, throttled logins, bounded bodies, checked
ids and numbers, and the security headers."""

from __future__ import annotations

import contextlib
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from demo.process import DemoProcess
from tests.support.demo_http import csrf_token, new_logged_in_client

SECRET = "demo-security-test-secret-of-32-characters"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoProcess]:
    server = DemoProcess(tmp_path_factory.mktemp("demo-security"), secret_key=SECRET)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def chat_token(client: httpx.Client) -> str:
    match = re.search(r'data-socket-token="([^"]+)"', client.get("/chat").text)
    assert match
    return match.group(1)


async def socket_status(demo: DemoProcess, token: str) -> int:
    try:
        async with websockets.connect(f"{demo.socket_url}/websocket?vsn=2.0.0&token={token}"):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_security_headers_and_no_secret_defaults(demo: DemoProcess) -> None:
    response = httpx.get(demo.url + "/login")
    csp = response.headers["content-security-policy"]
    script_src = csp.split("script-src")[1].split(";")[0]
    assert "'self'" in script_src and "unsafe-inline" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_logout_ends_the_cookie_and_the_socket_token_of_that_login(demo: DemoProcess) -> None:
    laptop, phone = new_logged_in_client(demo.url, "alice"), new_logged_in_client(demo.url, "alice")
    old_cookie = dict(laptop.cookies)
    token, phone_token = chat_token(laptop), chat_token(phone)
    assert await socket_status(demo, token) == 101
    laptop.post("/logout", data={"csrf_token": csrf_token(laptop, "/logout")})
    replay = httpx.Client(base_url=demo.url, cookies=old_cookie, timeout=10)
    assert replay.get("/orders").status_code == 303  # the copied cookie is refused too
    assert await socket_status(demo, token) == 403
    assert phone.get("/orders").status_code == 200  # the other login is untouched
    assert await socket_status(demo, phone_token) == 101


async def test_log_out_everywhere_ends_every_login_and_cli_tokens_even_after_a_restart(
    demo: DemoProcess,
) -> None:
    bob = new_logged_in_client(demo.url, "bob")
    browser_token = chat_token(bob)
    cli_token, bob_id = demo.token("bob")
    assert await socket_status(demo, cli_token) == 101
    admin = new_logged_in_client(demo.url, "admin")
    token = csrf_token(admin, "/admin")
    done = admin.post(f"/admin/users/{bob_id}/logout", data={"csrf_token": token})
    assert done.status_code == 303
    no_csrf = admin.post(f"/admin/users/{bob_id}/logout", data={})
    assert no_csrf.status_code == 403
    assert bob.get("/orders").status_code == 303
    assert await socket_status(demo, cli_token) == 403
    assert await socket_status(demo, browser_token) == 403
    demo.stop()
    demo.start()  # the revocations are in the database: still refused after the restart
    assert await socket_status(demo, cli_token) == 403
    assert await socket_status(demo, browser_token) == 403
    fresh, _ = demo.token("bob")  # a login made afterwards works
    assert await socket_status(demo, fresh) == 101


def test_failed_logins_are_throttled(demo: DemoProcess) -> None:
    client = httpx.Client(base_url=demo.url, timeout=10)
    token = csrf_token(client, "/login")
    codes = [
        client.post(
            "/login", data={"csrf_token": token, "username": "carol", "password": "wrong"}
        ).status_code
        for _ in range(6)
    ]
    assert codes[:5] == [401] * 5
    throttled = client.post(
        "/login", data={"csrf_token": token, "username": "carol", "password": "demo"}
    )
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1


def test_an_attacker_cannot_lock_a_user_out_from_another_address(demo: DemoProcess) -> None:
    def client_from(address: str) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=address)  # all of 127/8 is loopback
        return httpx.Client(base_url=demo.url, timeout=10, transport=transport)

    attacker, user = client_from("127.0.0.3"), client_from("127.0.0.4")
    token = csrf_token(attacker, "/login")
    codes = [
        attacker.post(
            "/login", data={"csrf_token": token, "username": "bob", "password": "guess"}
        ).status_code
        for _ in range(8)
    ]
    assert codes == [401] * 5 + [429] * 3
    answer = user.post("/login", data={"csrf_token": csrf_token(user, "/login"),
                                       "username": "bob", "password": "demo"})
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_forwarded_headers_are_not_believed_from_an_unlisted_address(demo: DemoProcess) -> None:
    """The demo trusts no proxy unless told (`--forwarded-allow-ips`): a client on loopback
    cannot pose as many addresses to dodge the per-address throttle (uvicorn's own default
    believes 127.0.0.1)."""
    client = httpx.Client(base_url=demo.url, timeout=10)
    token = csrf_token(client, "/login")
    codes = [
        client.post(
            "/login", data={"csrf_token": token, "username": "mallory", "password": "guess"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(6)
    ]
    assert codes == [401] * 5 + [429]


def test_a_40_mb_anonymous_body_gets_413_without_growing_the_server(demo: DemoProcess) -> None:
    assert demo.process is not None
    before = rss_kib(demo.process.pid)
    size = 40 * 1024 * 1024
    with socket.create_connection(("127.0.0.1", demo.port), timeout=10) as conn:
        conn.sendall(
            f"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {size}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode()
        )
        status = b""
        chunk = b"a" * 65536
        started = time.monotonic()
        try:
            for _ in range(size // len(chunk)):
                conn.sendall(chunk)  # the server may answer (and close) long before the end
                conn.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    status = conn.recv(64)
                conn.setblocking(True)
                if status:
                    break
        except OSError:
            pass
        if not status:
            conn.settimeout(10)
            status = conn.recv(64)
    assert status.startswith(b"HTTP/1.1 413"), status
    assert time.monotonic() - started < 10

    def body() -> Iterator[bytes]:  # chunked: no length to refuse on, counted while read
        for _ in range(size // 65536):
            yield b"a" * 65536

    try:
        chunked = httpx.post(demo.url + "/login", content=body(), timeout=30)
        # 403: the CSRF check (no session yet) refuses before the body is read; 413 otherwise
        assert chunked.status_code in (403, 413)
    except httpx.HTTPError:
        pass  # the server answered and closed while the client was still sending
    assert rss_kib(demo.process.pid) - before < 8 * 1024  # KiB: no 40 MB held


def test_ids_and_numbers_from_the_client_get_4xx(demo: DemoProcess) -> None:
    alice = new_logged_in_client(demo.url, "alice")
    token = csrf_token(alice, "/orders")
    for path in ("/orders/99999999999999999999999/cancel", "/orders/%C2%B2/cancel"):
        assert alice.post(path, data={"csrf_token": token}).status_code == 404
    admin = new_logged_in_client(demo.url, "admin")
    token = csrf_token(admin, "/admin")
    for interval in ("abc", "nan", "inf", "-1", "1e999"):
        response = admin.post(
            "/admin/simulate", data={"csrf_token": token, "enabled": "1", "interval": interval}
        )
        assert response.status_code == 303
        page = admin.get("/admin").text
        assert "The interval must be" in page and "Stop simulation" not in page
