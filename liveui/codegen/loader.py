"""`load_dispatch`: the `Dispatch` behind an app reference, the way uvicorn names apps."""

from __future__ import annotations

import os
import sys
from typing import Any

from ..dispatch.dispatch import Dispatch
from ..dispatch.dispatch_settings import import_string
from ..errors import ConfigurationError

__all__ = ["load_dispatch"]


def load_dispatch(app: str | None = None, dispatch: str | None = None) -> Dispatch:
    """`dispatch` ("module:attr" of a Dispatch) wins; otherwise `app.state.dispatch` of `app`,
    or else the one Dispatch defined at the top of `app`'s module (as the quick start has it).

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
    if isinstance(found, Dispatch):
        return found
    module = sys.modules.get(app.partition(":")[0])
    values = vars(module).values() if module is not None else ()
    in_module = {id(v): v for v in values if isinstance(v, Dispatch)}
    if len(in_module) == 1:
        return next(iter(in_module.values()))
    where = "none" if not in_module else f"{len(in_module)}, which is ambiguous"
    raise ConfigurationError(
        f"{app} has no Dispatch at app.state.dispatch and its module defines {where}: set "
        f"`app.state.dispatch = dispatch` or pass --dispatch module:attr"
    )
