"""`load_dispatch`: the `Dispatch` behind an app reference, the way uvicorn names apps."""

from __future__ import annotations

import os
import sys
from typing import Any

from ..dispatch.dispatch import Dispatch
from ..dispatch.settings import import_string
from ..errors import ConfigurationError

__all__ = ["load_dispatch"]


def load_dispatch(app: str | None = None, dispatch: str | None = None) -> Dispatch:
    """`dispatch` ("module:attr" of a Dispatch) wins; otherwise `app.state.dispatch` of `app`.

    The current directory is put on `sys.path` first, as uvicorn does, so `demo.app:app`
    resolves from the project root. Errors are `ConfigurationError`s saying what was looked at.
    """
    if dispatch is None and app is None:
        raise ConfigurationError("give --app module:attr (or --dispatch module:attr)")
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    if dispatch is not None:
        found = import_string(dispatch)
        if not isinstance(found, Dispatch):
            raise ConfigurationError(f"{dispatch} is a {type(found).__name__}, not a Dispatch")
        return found
    assert app is not None
    target: Any = import_string(app)
    state = getattr(target, "state", None)
    found = getattr(state, "dispatch", None)
    if not isinstance(found, Dispatch):
        raise ConfigurationError(
            f"{app} has no Dispatch at app.state.dispatch: set `app.state.dispatch = dispatch` "
            f"or pass --dispatch module:attr"
        )
    return found
