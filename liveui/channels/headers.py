"""`AsgiHeaders`: the handshake headers as a read-only mapping over the ASGI scope's list.

A connection keeps its `ConnectInfo` for its whole life; decoding every header into a dict of
new strings costs ~1 KB per connection, while the server keeps the raw list in the scope anyway.
Here a header is decoded when it is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

__all__ = ["AsgiHeaders"]


class AsgiHeaders(Mapping[str, str]):
    """Like `{k.decode("latin-1"): v.decode("latin-1") for k, v in raw}`: the last value of a
    repeated name wins, names keep their order of first appearance."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self._raw: Sequence[tuple[bytes, bytes]] = (
            raw if isinstance(raw, list | tuple) else list(raw)
        )

    def __getitem__(self, name: str) -> str:
        try:
            key = name.encode("latin-1")
        except UnicodeEncodeError:
            raise KeyError(name) from None
        for k, v in reversed(self._raw):
            if k == key:
                return v.decode("latin-1")
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter({k.decode("latin-1"): None for k, _ in self._raw})

    def __len__(self) -> int:
        return len({k for k, _ in self._raw})

    def __repr__(self) -> str:
        return f"AsgiHeaders({dict(self)!r})"
