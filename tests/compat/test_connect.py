"""Connecting with the real phoenix.js client: params, vsn, refusals, Origin, tokens.

Compatibility cases (docs/protocol.md) 1, 2, 3, 4, 5 and 28.
"""

from __future__ import annotations

import base64

import pytest

from .app import ALLOWED_ORIGIN, Compat, expired_token_for, token_for
from .bridge import PhoenixClient

pytestmark = pytest.mark.compat


def _is_403(event: dict[str, object]) -> bool:
    return "403" in str(event.get("message"))


def test_params_and_vsn_reach_connect_and_are_read_again_on_reconnect(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 1: nested params arrive decoded, vsn selects V2, a params function is re-read."""
    token = token_for(uid)
    seq = [{"token": token, "user": {"id": uid, "tags": "a b&c"}, "attempt": n} for n in (1, 2)]
    client.socket("s", compat.url(), params_seq=seq, reconnectAfterMs=[10])
    client.connect("s")
    client.wait("open", socket="s")
    url = client.wait("ws_connect", socket="s")["url"]
    assert url.endswith("&vsn=2.0.0"), "vsn comes last"
    first = compat.app.recorder.wait("connect", user_id=uid)[0]
    assert first["params"] == {"token": token, "user": {"id": uid, "tags": "a b&c"}, "attempt": "1"}

    client.joined("c", "s", f"room:{uid}")
    assert compat.app.recorder.wait("join", topic=f"room:{uid}")[0]["vsn"] == "2.0.0"

    client.send("drop", socket="s")  # the client reconnects and must call params() again
    client.wait("open", socket="s")
    second = compat.app.recorder.wait("connect", user_id=uid, count=2)[1]
    assert second["params"]["attempt"] == "2"


def test_refused_connect_is_403_and_the_client_backs_off(
    client: PhoenixClient, compat: Compat
) -> None:
    """Case 2: connect returning None is an HTTP 403; the client retries on its backoff."""
    client.socket("s", compat.url(), params={"token": "not-a-token"}, reconnectAfterMs=[20, 40, 60])
    client.connect("s")
    for tries in (1, 2, 3):
        client.wait("ws_error", socket="s", where=_is_403)
        client.wait("close", socket="s")
        client.wait("reconnect_after", socket="s", tries=tries)
    assert not client.all("open", socket="s")
    refusals = compat.app.recorder.all("refused", params={"token": "not-a-token"})
    assert len(refusals) >= 3 and {r["reason"] for r in refusals} == {"invalid_token"}


def test_unsupported_vsn_is_403(client: PhoenixClient, compat: Compat, uid: str) -> None:
    """Case 3: vsn 3.0.0 is refused at the upgrade, before connect runs."""
    client.socket(
        "s", compat.url(), params={"token": token_for(uid)}, vsn="3.0.0", reconnectAfterMs=[5000]
    )
    client.connect("s")
    assert "vsn=3.0.0" in client.wait("ws_connect", socket="s")["url"]
    client.wait("ws_error", socket="s", where=_is_403)
    client.wait("close", socket="s")
    assert not compat.app.recorder.all("connect", user_id=uid)


def test_origin_check(client: PhoenixClient, compat: Compat, uid: str) -> None:
    """Case 4: with check_origin configured, a listed Origin connects and another gets 403."""
    params = {"token": token_for(uid)}
    client.socket("good", compat.url("/origin"), origin=ALLOWED_ORIGIN, params=params)
    client.socket(
        "evil",
        compat.url("/origin"),
        origin="http://evil.example",
        params=params,
        reconnectAfterMs=[5000],
    )
    client.connect("evil")
    client.wait("ws_error", socket="evil", where=_is_403)
    client.connect("good")
    client.wait("open", socket="good")
    client.joined("c", "good", f"room:{uid}")
    connects = compat.app.recorder.all("connect", user_id=uid)
    assert [c["origin"] for c in connects] == [ALLOWED_ORIGIN]


def test_auth_token_subprotocol_is_accepted_and_phoenix_echoed(
    client: PhoenixClient, compat: Compat, uid: str
) -> None:
    """Case 5: the token travels as `base64url.bearer.phx.<b64>`; the server answers `phoenix`."""
    token = token_for(uid)
    client.socket("s", compat.url(), authToken=token)
    client.connect("s")
    offered = client.wait("ws_connect", socket="s")["protocols"]
    encoded = base64.b64encode(token.encode()).decode().rstrip("=")
    assert offered == ["phoenix", f"base64url.bearer.phx.{encoded}"]
    assert client.wait("ws_open", socket="s")["protocol"] == "phoenix"
    connect = compat.app.recorder.wait("connect", user_id=uid)[0]
    assert connect["auth_token"] == token and "token" not in connect["params"]
    client.joined("c", "s", f"room:{uid}")


def test_auth_token_whose_base64_has_plus_round_trips(
    client: PhoenixClient, compat: Compat
) -> None:
    """Standard base64 may contain `+`: a valid subprotocol character, decoded by the server."""
    token = ">>>"  # base64 "Pj4+"
    client.socket("s", compat.url(), authToken=token, reconnectAfterMs=[5000])
    client.connect("s")
    assert client.wait("ws_connect", socket="s")["protocols"][1] == "base64url.bearer.phx.Pj4+"
    client.wait("ws_error", socket="s", where=_is_403)  # not a liveui token: refused, but decoded
    assert compat.app.recorder.wait("refused", auth_token=token)[0]["reason"] == "invalid_token"


@pytest.mark.parametrize(
    ("token", "thrown"),
    [("???", "SyntaxError"), ("\u20ac", "InvalidCharacterError")],
    ids=["base64-has-slash", "not-latin1"],
)
def test_auth_tokens_the_client_cannot_send(client: PhoenixClient, token: str, thrown: str) -> None:
    """`/` in the base64 (here "Pz8/") is no valid subprotocol: `ws`, like browsers, throws
    before any byte is sent; btoa throws on characters above U+00FF. No server can accept such
    tokens; liveui's tokens never produce them (see test_token_subprotocol)."""
    client.socket("s", "ws://127.0.0.1:9/socket", authToken=token)
    client.connect("s")
    assert client.wait("connect_threw", socket="s")["name"] == thrown


@pytest.mark.parametrize("kind", ["missing", "invalid", "expired", "valid"])
@pytest.mark.parametrize("via", ["params", "authToken"])
def test_tokens(client: PhoenixClient, compat: Compat, uid: str, kind: str, via: str) -> None:
    """Case 28: a missing, forged or expired token is refused with 403; a valid one connects."""
    token = {
        "missing": None,
        "invalid": token_for(uid)[:-3] + "xyz",
        "expired": expired_token_for(uid),
        "valid": token_for(uid),
    }[kind]
    opts: dict[str, object] = {"reconnectAfterMs": [5000], "params": {"probe": uid}}
    if token is not None:
        opts.update(
            {"params": {"probe": uid, "token": token}} if via == "params" else {"authToken": token}
        )
    client.socket("s", compat.url(), **opts)
    client.connect("s")
    if kind == "valid":
        client.wait("open", socket="s")
        client.joined("c", "s", f"private:{uid}")
        return
    client.wait("ws_error", socket="s", where=_is_403)
    # connect ran (and recorded) before the server closed the upgrade that the client saw fail
    refusals = [r for r in compat.app.recorder.all("refused") if r["params"].get("probe") == uid]
    assert refusals and refusals[0]["reason"] == f"{kind}_token"
    assert not client.all("open", socket="s")
