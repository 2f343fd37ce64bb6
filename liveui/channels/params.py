"""Connect params as phoenix.js sends them: URI-encoded, nested objects as `user[id]=1`."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

__all__ = ["parse_params"]


def parse_params(query_string: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if "[" in key and key.endswith("]"):
            head, _, rest = key.partition("[")
            path = [head, *rest[:-1].split("][")]
            node = params
            for part in path[:-1]:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
            node[path[-1]] = value
        else:
            params[key] = value
    return params
