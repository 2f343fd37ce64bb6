"""`SessionHooks`: SQLAlchemy session events that note which counters and collections a
transaction moved.

During flush it records, per counter, the owners a row change touches (the old AND the new owner
of an update), and per collection the primary keys of the rows inserted, changed or deleted;
after commit it hands that `ChangeSet` on; when the outermost transaction ends any
other way (rollback, close) the record is dropped, so nothing is broadcast for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstanceState, Session, SessionTransaction, sessionmaker
from sqlalchemy.sql.elements import ClauseElement

from .changes import ChangeSet
from .counter_declaration import Counter
from .counter_registry import CounterRegistry
from .row_filter import RowFilter, row_filter

__all__ = ["SessionHooks"]

log = logging.getLogger("liveui.dispatch")

_EVENTS = ("before_flush", "after_flush", "after_commit", "after_transaction_end")


class SessionHooks:
    def __init__(
        self,
        registry: CounterRegistry,
        committed: Callable[[ChangeSet], None],
        dialect: str | None = None,
    ) -> None:
        self.registry = registry
        self._committed = committed
        self.dialect = dialect
        """The database's dialect: which comparisons `RowFilter` may answer in Python."""
        self._filters: dict[int, RowFilter | None] = {}
        self._key = ("liveui.dispatch", id(self))
        self.installed = 0
        """How many factories, classes or sessions `install` hooked."""

    # installing ------------------------------------------------------------------------------
    def install(self, target: Any) -> None:
        """Hook a `sessionmaker`, `async_sessionmaker`, Session subclass or session instance."""
        if isinstance(target, async_sessionmaker):
            # Listen on a private sync class, so only this factory's sessions are affected.
            base = target.kw.get("sync_session_class") or Session
            hooked = type(f"Dispatch{base.__name__}", (base,), {})
            target.configure(sync_session_class=hooked)
            self._listen(hooked)
        elif isinstance(target, AsyncSession):
            self._listen(target.sync_session)
        elif isinstance(target, (sessionmaker, Session)):
            self._listen(target)
        elif isinstance(target, type) and issubclass(target, AsyncSession):
            raise TypeError(
                "install() an async_sessionmaker (or a session), not the AsyncSession class"
            )
        elif isinstance(target, type) and issubclass(target, Session):
            self._listen(target)
        else:
            raise TypeError(f"cannot install dispatch hooks on {target!r}")
        self.installed += 1

    def covers(self, session: Session) -> bool:
        """Whether this session's commits are watched (its factory or class was installed)."""
        return event.contains(type(session), "after_commit", self._after_commit) or (
            event.contains(session, "after_commit", self._after_commit)
        )

    def hook_session(self, session: Session) -> None:
        """Make sure this one session reports its commit (used by `notify`)."""
        if not self.covers(session):
            self._listen(session)

    def _listen(self, target: Any) -> None:
        for name in _EVENTS:
            fn = getattr(self, f"_{name}")
            if not event.contains(target, name, fn):
                event.listen(target, name, fn)

    def pending(self, session: Session) -> ChangeSet:
        changes: ChangeSet | None = session.info.get(self._key)
        if changes is None:
            changes = session.info[self._key] = ChangeSet()
        return changes

    # listeners -------------------------------------------------------------------------------
    def _before_flush(self, session: Session, flush_context: Any, instances: Any) -> None:
        # A row about to be deleted or moved must have its owner loaded now: after the flush
        # the old owner can no longer be read.
        try:
            for obj in (*session.deleted, *session.dirty):
                for c in self.registry.measured_for_class(type(obj)):
                    if c.owner_key is not None and c.owner_key not in inspect(obj).dict:
                        getattr(obj, c.owner_key)
            self._note_computed(session)
        except Exception:
            log.exception("liveui.dispatch: reading counter owners before flush failed")

    def _note_computed(self, session: Session) -> None:
        """Rows given a value the database computes (`n = Order.n + 1`): the flush expires that
        attribute with its history, so after it the row looks unchanged. Noted now."""
        for obj in session.dirty:
            counters = self.registry.measured_for_class(type(obj))
            if not counters:
                continue
            state: InstanceState[Any] = inspect(obj)
            computed = {k for k, v in state.dict.items() if isinstance(v, ClauseElement)}
            if not computed:
                continue
            for c in counters:
                if "update" not in c.on or (c.watched is not None and not c.watched & computed):
                    continue
                changes = self.pending(session)
                if c.owner_key is None:
                    changes.touch(c.name, is_global=True)
                    continue
                for owner in _owners(state, c.owner_key):
                    if not isinstance(owner, ClauseElement):  # a computed owner: unknowable
                        changes.touch(c.name, owner)

    def _after_flush(self, session: Session, flush_context: Any) -> None:
        try:
            self._record(session)
        except Exception:
            # Never break the app's transaction; say loudly which counters may lag.
            log.exception("liveui.dispatch: recording counter changes failed")

    def _record(self, session: Session) -> None:
        changes: ChangeSet | None = None
        kinds: tuple[tuple[str, Iterable[Any]], ...] = (
            ("insert", session.new), ("update", session.dirty), ("delete", session.deleted)
        )
        for kind, objects in kinds:
            for obj in objects:
                counters = self.registry.measured_for_class(type(obj))
                collections = self.registry.collections_for_class(type(obj))
                if not counters and not collections:
                    continue
                if kind == "update" and not session.is_modified(obj, include_collections=False):
                    continue
                state: InstanceState[Any] = inspect(obj)
                if collections:
                    if changes is None:
                        changes = self.pending(session)
                    # The primary key from the instance: during after_flush a new row's
                    # identity key is not assigned yet, but its primary key attribute is.
                    for collection in collections:
                        changes.touch_row(collection.name, state.dict.get(
                            collection.primary_key_attr))
                for c in counters:
                    if kind not in c.on or (kind == "update" and not _moved(state, c)):
                        continue
                    if self._uncounted(c, state, kind):
                        continue
                    if changes is None:
                        changes = self.pending(session)
                    if c.owner_key is None:
                        changes.touch(c.name, is_global=True)
                    else:
                        for owner in _owners(state, c.owner_key):
                            changes.touch(c.name, owner)

    def _uncounted(self, c: Counter, state: InstanceState[Any], kind: str) -> bool:
        """Whether `c` certainly does not count this new row (its `where` answered in Python
        where that is exact: `RowFilter`). Inserts only: what an insert writes is the row, but
        what an update or a delete finds in the database may differ from what this session
        loaded (another transaction changed it since), so those are always recounted."""
        if kind != "insert":
            return False
        key = id(c)
        if key in self._filters:
            test = self._filters[key]
        else:
            test = self._filters[key] = row_filter(state.mapper, c.where, self.dialect)
        if test is None:
            return False
        try:
            return test.excludes(_new_values(state, test.keys))
        except Exception:  # never lose a recount to this shortcut
            log.debug("liveui.dispatch: %r: could not answer its filter", c.name, exc_info=True)
            return False

    def _after_commit(self, session: Session) -> None:
        changes = session.info.pop(self._key, None)
        if changes:
            try:
                self._committed(changes)
            except Exception:
                log.exception("liveui.dispatch: handing committed changes on failed")

    def _after_transaction_end(self, session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            # The outermost transaction ended without after_commit taking the record: rolled
            # back or closed. Whatever was recorded never happened.
            session.info.pop(self._key, None)


def _moved(state: InstanceState[Any], c: Counter) -> bool:
    if c.watched is None:
        return True
    attrs = state.attrs
    return any(attrs[key].history.has_changes() for key in c.watched)


def _owners(state: InstanceState[Any], key: str) -> set[Any]:
    history = state.attrs[key].history
    owners = {*history.added, *history.deleted, *history.unchanged}
    if not owners and key in state.dict:
        owners.add(state.dict[key])
    owners.discard(None)
    return owners


def _new_values(state: InstanceState[Any], keys: Iterable[str]) -> dict[str, Any]:
    """The row's values as flushed (a key the flush left unloaded is absent: unknown)."""
    loaded = state.dict
    return {key: loaded[key] for key in keys if key in loaded}

