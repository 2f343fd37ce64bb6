"""`NotificationDropdown`: the bell, its unread badge and the list of recent notifications.

Patches never touch the container that holds the open/closed state (kept in liveui.js): a change
re-renders single list items by id, a new notification is inserted at its place in the list
(newest first), an item falling off the end is deleted. The bell's count is its own `LiveBadge`.

Events from several nodes may arrive in any order, so the list is a merge, not a log: "read" is
final (a `notification_read` for an id not shown yet is remembered, bounded), an
`all_notifications_read` cut-off also covers notifications that arrive after it, and items are
ordered by their insertion time, not by arrival. Any order of the same events gives the same
list.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from ..errors import EventRejected
from ..pubsub.broadcast import Broadcast
from ..user_events import (
    ALL_NOTIFICATIONS_READ,
    NEW_NOTIFICATION,
    NOTIFICATION_DELETED,
    NOTIFICATION_READ,
    inserted_at,
    notification_cursor,
    read_all_notifications_read,
    read_before_covers,
    read_marked_ids,
    read_notification_id,
)
from .component import LiveComponent
from .context import LiveContext
from .fragment import Fragment
from .render import Renderer

__all__ = ["NotificationDropdown", "safe_url"]

_UNSAFE_ID = re.compile(r"[^\w-]")
_REMEMBERED_READS = 64
"""Ids marked read before their `new_notification` arrived, kept per dropdown."""


def _newest_first(notification: Mapping[str, Any]) -> tuple[datetime, str]:
    """Sort key (with reverse=True): newest `insertedAt` first, the id breaking ties; an item
    without a readable time counts as newest."""
    return (inserted_at(notification) or datetime.max.replace(tzinfo=UTC),
            str(notification.get("id", "")))


def safe_url(url: Any) -> str | None:
    """Only http(s) and relative URLs become links (never `javascript:`)."""
    if not isinstance(url, str) or not url.strip():
        return None
    scheme = urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in ("", "http", "https") else None


_KNOWN: dict[Any, dict[str, Any]] = {}
_KNOWN_KEPT = 4096


def _shared(notification: Mapping[str, Any]) -> dict[str, Any]:
    """One dict for every dropdown showing this notification as it is (the tabs of one user
    show the same ones). Items are replaced, never changed in place: a shared dict stays as
    it was made."""
    key = notification.get("id")
    known = _KNOWN.get(key)
    if known is not None and known == notification:
        return known
    if len(_KNOWN) >= _KNOWN_KEPT:
        del _KNOWN[next(iter(_KNOWN))]
    made = _KNOWN[key] = dict(notification)
    return made


def _read(notification: Mapping[str, Any]) -> dict[str, Any]:
    return _shared({**notification, "read": True})


class NotificationDropdown(LiveComponent):
    __slots__ = ("_deleted_ids", "_read_before", "_read_ids")
    name = "notifications"
    template = "liveui/notification_dropdown.html"
    item_template = "liveui/notification_item.html"
    list_template = "liveui/notification_list.html"
    more_template = "liveui/notification_more.html"
    params_schema = {"limit": int, "id": str}

    def __init__(self, limit: int = 10, id: str | None = None) -> None:
        if not isinstance(limit, int) or not 1 <= limit <= 100:
            raise TypeError("limit must be an integer from 1 to 100")
        params: dict[str, Any] = {"limit": limit}
        if id is not None:
            params["id"] = id
        super().__init__(**params)
        self.state = {"items": [], "more": False}
        # Outside `state`: they never render, so sessions still share renders by state.
        self._read_ids: dict[str, None] = {}
        self._deleted_ids: dict[str, None] = {}
        self._read_before: str | None = None

    @property
    def limit(self) -> int:
        return int(self.params["limit"])

    def dom_id(self) -> str:
        explicit = self.params.get("id")
        return explicit if isinstance(explicit, str) else "liveui-notifications"

    def item_id(self, notification: Mapping[str, Any]) -> str:
        return sys.intern(f"{self.id}-n-{_UNSAFE_ID.sub('-', str(notification.get('id')))}")

    # state -----------------------------------------------------------------------------------
    def set_from(self, notifications: list[dict[str, Any]]) -> None:
        items = [_shared(n) for n in notifications[: self.limit]]
        # A full page may have older ones behind it (and a cursor is needed to fetch them).
        more = len(items) >= self.limit and notification_cursor(items[-1]) is not None
        self.state = {"items": items, "more": more}
        self._read_ids.clear()  # the database's list already reflects them
        self._deleted_ids.clear()
        self._read_before = None

    @property
    def shown(self) -> int:
        """How many items the dropdown keeps: the limit, plus the pages loaded with "more"."""
        return max(self.limit, len(self.state["items"]))

    async def mount(self, ctx: LiveContext) -> None:
        self.set_from(await ctx.notifications(self.limit))

    def handle_info(self, message: Broadcast) -> bool:
        items: list[dict[str, Any]] = self.state["items"]
        event, payload = message.event, message.payload
        if event == NEW_NOTIFICATION:
            notification_id = read_notification_id(payload)
            if notification_id is None or any(n.get("id") == notification_id for n in items):
                return False
            if notification_id in self._deleted_ids:
                return False  # deleted before its new_notification arrived
            added = dict(payload)
            if notification_id in self._read_ids or read_before_covers(self._read_before, added):
                added["read"] = True
            added = _shared(added)
            merged = sorted([added, *items], key=_newest_first, reverse=True)[: self.shown]
            if not any(n is added for n in merged):
                return False  # older than everything shown: it falls off at once
            fell_off = len(merged) < len(items) + 1  # an older one is behind "Load more" now
            self.state = {"items": merged, "more": self.state["more"] or fell_off}
            return True
        if event == NOTIFICATION_DELETED:
            notification_id = read_notification_id(payload)
            if notification_id is None:
                return False
            self._remember(self._deleted_ids, notification_id)
            kept = [n for n in items if n.get("id") != notification_id]
            if len(kept) == len(items):
                return False
            self.state = {"items": kept, "more": self.state["more"]}
            return True
        if event == NOTIFICATION_READ:
            notification_id = read_notification_id(payload)
            if notification_id is None:
                return False
            for i, n in enumerate(items):
                if n.get("id") == notification_id:
                    if n.get("read"):
                        return False
                    self._replace_items([*items[:i], _read(n), *items[i + 1:]])
                    return True
            self._remember(self._read_ids, notification_id)  # its new_notification is on its way
            return False
        if event == ALL_NOTIFICATIONS_READ:
            marked = read_marked_ids(payload)
            if marked is not None:
                # Exactly these: the cut-off would also cover a notification inserted before it
                # but committed after the update ran, which the database left unread.
                shown = {n.get("id") for n in items}
                for nid in marked:
                    if nid not in shown:
                        self._remember(self._read_ids, nid)
                changed = [n for n in items if not n.get("read") and n.get("id") in marked]
                if changed:
                    self._replace_items(
                        [_read(n) if n.get("id") in marked else n for n in items])
                return bool(changed)
            cutoff = read_all_notifications_read(payload)
            newer = not read_before_covers(self._read_before, {"insertedAt": cutoff})
            if cutoff is not None and newer:
                self._read_before = cutoff  # the latest cut-off covers every earlier one
            unread = [
                n for n in items
                if not n.get("read") and (cutoff is None or read_before_covers(cutoff, n))
            ]
            if unread:
                now_read = {id(n) for n in unread}
                self._replace_items([_read(n) if id(n) in now_read else n for n in items])
            return bool(unread)
        return False

    def _replace_items(self, items: list[dict[str, Any]]) -> None:
        self.state = {"items": items, "more": self.state["more"]}

    @staticmethod
    def _remember(ids: dict[str, None], notification_id: str) -> None:
        ids[notification_id] = None
        while len(ids) > _REMEMBERED_READS:
            del ids[next(iter(ids))]

    async def _load_more(self, ctx: LiveContext) -> None:
        items: list[dict[str, Any]] = self.state["items"]
        cursor = notification_cursor(items[-1]) if items else None
        if cursor is None:
            self.state = {"items": items, "more": False}
            return
        older = await ctx._require_dispatch().notifications.load_recent(
            ctx.user_id, limit=self.limit, before=cursor
        )
        known = {n.get("id") for n in items}
        added = [_shared(n) for n in older if n.get("id") not in known]
        self.state = {"items": [*items, *added], "more": len(older) >= self.limit}

    async def handle_event(self, event: str, data: Mapping[str, Any], ctx: LiveContext) -> None:
        from ..errors import Forbidden, NotFound

        dispatch = ctx._require_dispatch()
        try:
            if event == "mark_read":
                notification_id = data.get("id")
                if not isinstance(notification_id, str) or not notification_id:
                    raise EventRejected(400, "mark_read needs the notification id")
                await dispatch.notifications.mark_as_read(notification_id, actor=ctx.user_id)
            elif event == "mark_all_read":
                await dispatch.notifications.mark_all_as_read(ctx.user_id, actor=ctx.user_id)
            elif event == "load_more":
                await self._load_more(ctx)
            else:
                raise EventRejected(400, f"unknown event {event!r}")
        except Forbidden:
            raise EventRejected(403, "not your notification") from None
        except NotFound:
            raise EventRejected(404, "no such notification") from None

    # rendering -------------------------------------------------------------------------------
    def _item(
        self, renderer: Renderer, notification: dict[str, Any], after: str | None = None
    ) -> Fragment:
        """One list item; new on the page, it goes after the item `after` (else on top)."""
        item_id = self.item_id(notification)
        html = renderer.render(
            self.item_template,
            n=notification,
            item_id=item_id,
            action_url=safe_url(notification.get("actionUrl")),
            vals=self.event_vals("mark_read", id=str(notification.get("id"))),
        )
        if after is not None:
            return Fragment(item_id, html, container=after, position="afterend")
        return Fragment(item_id, html, container=f"{self.id}-list")

    def _empty(self, renderer: Renderer) -> Fragment:
        html = renderer.render(
            "liveui/notification_empty.html", id=f"{self.id}-empty", empty=not self.state["items"]
        )
        return Fragment(f"{self.id}-empty", html)

    def _more(self, renderer: Renderer) -> Fragment:
        html = renderer.render(
            self.more_template, id=f"{self.id}-more", more=self.state["more"],
            vals=self.event_vals("load_more"),
        )
        return Fragment(f"{self.id}-more", html)

    def fragments(self, renderer: Renderer) -> list[Fragment]:
        items: list[Fragment] = []
        for n in self.state["items"]:
            items.append(self._item(renderer, n, after=items[-1].id if items else None))
        return [*items, self._empty(renderer), self._more(renderer)]

    def _list(self, renderer: Renderer) -> Fragment:
        items = Markup("".join(self._item(renderer, n).html for n in self.state["items"]))
        html = renderer.render(self.list_template, id=f"{self.id}-list", items=items)
        return Fragment(f"{self.id}-list", html)

    def full_fragments(self, renderer: Renderer) -> list[Fragment]:
        return [self._list(renderer), self._empty(renderer), self._more(renderer)]

    def render(self, renderer: Renderer, bell_badge: str = "") -> str:
        return renderer.env.get_template(self.template).render(
            **self.context(),
            list_html=Markup(self._list(renderer).html),
            empty_html=Markup(self._empty(renderer).html),
            more_html=Markup(self._more(renderer).html),
            bell_badge=Markup(bell_badge),
            mark_all_vals=self.event_vals("mark_all_read"),
        )
