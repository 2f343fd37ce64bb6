"""Small helpers shared across the package."""

from __future__ import annotations

import asyncio
import difflib
import inspect
import types
from collections.abc import Awaitable, Generator, Iterable
from typing import Any

__all__ = ["did_you_mean", "maybe_await", "resume", "start_eagerly", "stop_task"]


async def stop_task(task: asyncio.Task[Any] | None, *, retry_every: float = 0.05) -> None:
    """Cancel `task` and wait until it has ended.

    A cancellation can be swallowed by code the task awaits (redis-py's `PubSub.unsubscribe`
    does): the task then runs on to its next await and would be waited for forever, holding a
    server's shutdown. The task is cancelled again until it ends. Its own exception, if any, is
    dropped: it is being stopped."""
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=retry_every)
    if not task.cancelled():
        task.exception()  # retrieved: not reported as "never retrieved"


async def maybe_await(value: Any) -> Any:
    """Let users write hooks as plain functions or coroutines."""
    if inspect.isawaitable(value):
        return await value
    return value


def start_eagerly(awaitable: Awaitable[Any]) -> Awaitable[Any] | None:
    """Run `awaitable` now, in the caller, up to its first suspension.

    None when it finished without suspending (its result is dropped; its exception propagates);
    otherwise an awaitable that continues it from where it stopped, for a task to finish it. This
    spares a task for the common case of an await that does not have to wait.
    """
    steps = awaitable.__await__()
    try:
        waiting = steps.send(None)
    except StopIteration:
        return None
    return resume(steps, waiting)


@types.coroutine
def resume(steps: Generator[Any, Any, Any], waiting: Any) -> Generator[Any, Any, Any]:
    """An awaitable continuing `steps` (an `__await__` iterator) that is suspended on `waiting`:
    what `await` does, from the middle — hand what it waits on to the driving task, then pass
    the task's result (or exception, e.g. a cancellation) back into it."""
    while True:
        try:
            value = yield waiting
        except GeneratorExit:
            steps.close()
            raise
        except BaseException as exc:
            try:
                waiting = steps.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                waiting = steps.send(value)
            except StopIteration as stop:
                return stop.value


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' when a known name is close to the misspelled `name`, else ''."""
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    if not close:
        return ""
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)"
