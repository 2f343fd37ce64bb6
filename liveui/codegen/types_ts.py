"""Renders types.ts: the notification as serialized, and every `user:*` payload and reply."""

from __future__ import annotations

import re

from ..dispatch.notification_table import NOTIFICATION_TYPES
from ..user_events import PAYLOAD_SHAPES
from .notification_shape import property_name
from .schema import SdkSchema
from .tslit import union
from .wire_names import fill_wire_names

__all__ = ["render_types"]

_HEAD = """\
import type { AggregateName, Aggregates, DecimalString } from "./aggregates.js";
import type { CounterName, QueryKey } from "./counters.js";

/** Any value JSON can carry. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

export type NotificationType = @TYPES@;

/** A notification exactly as the server's serializer emits it. */
export interface Notification {
@FIELDS@
}
"""

_BODY = """
/** The topic of one user's channel. */
export type UserTopic = `@TOPIC_PREFIX@${string}`;

/** Counter name -> version; a client drops updates older than the version it holds. */
export type CounterVersions = { readonly [K in CounterName]?: number };

/** Counter name -> value, for the counters of the user's audiences. */
export type CounterValues = { readonly [K in CounterName]?: number };

// Pushed by the server on user:<id> -------------------------------------------------------

/** `@INITIAL_STATE@`: pushed after every (re)join; it replaces what the client held. */
export interface InitialStatePayload {
  counters: CounterValues;
  versions: CounterVersions;
  /** Newest first. */
  notifications: Notification[];
  /** The user's aggregates; present when the server declares any. */
  aggregates?: Aggregates;
}

/** `@COUNTER_UPDATED@`: one counter's new value. */
%%SHAPE @COUNTER_UPDATED@ CounterUpdatedPayload%%

/** `@COUNTERS_UPDATED@`: several counters' new values in one message (a hand-made
 * `broadcast_counters`). */
%%SHAPE @COUNTERS_UPDATED@ CountersUpdatedPayload%%

/** `@AGGREGATE_UPDATED@`: one aggregate's new value (an exact decimal string, or null). */
%%SHAPE @AGGREGATE_UPDATED@ AggregateUpdatedPayload%%

/** `@NEW_NOTIFICATION@`. */
export type NewNotificationPayload = Notification;

/** `@NOTIFICATION_READ@`: one notification was marked read (in one of the user's tabs). */
%%SHAPE @NOTIFICATION_READ@ NotificationReadPayload%%

/** `@NOTIFICATION_DELETED@`: its owner deleted it (in one of the user's tabs). */
%%SHAPE @NOTIFICATION_DELETED@ NotificationDeletedPayload%%

/** `@ALL_NOTIFICATIONS_READ@`: the notifications now read (`ids`, also ones whose
 * `@NEW_NOTIFICATION@` is still on its way); when too many to list, every one inserted until
 * `readBefore`. */
%%SHAPE @ALL_NOTIFICATIONS_READ@ AllNotificationsReadPayload%%

/** Server event name -> payload. */
export interface UserChannelEvents {
  @INITIAL_STATE@: InitialStatePayload;
  @COUNTER_UPDATED@: CounterUpdatedPayload;
  @COUNTERS_UPDATED@: CountersUpdatedPayload;
  @NEW_NOTIFICATION@: NewNotificationPayload;
  @NOTIFICATION_READ@: NotificationReadPayload;
  @NOTIFICATION_DELETED@: NotificationDeletedPayload;
  @ALL_NOTIFICATIONS_READ@: AllNotificationsReadPayload;
  @AGGREGATE_UPDATED@: AggregateUpdatedPayload;
}

// Requests a client pushes, and their replies ----------------------------------------------

export type EmptyPayload = { [key: string]: never };

/** `@REFRESH_COUNTERS@` replies the current values and versions. */
export interface RefreshCountersReply {
  counters: CounterValues;
  versions: CounterVersions;
}

/** `@MARK_NOTIFICATION_READ@` replies an empty ok. */
export type MarkNotificationReadReply = EmptyPayload;

/** `@MARK_ALL_NOTIFICATIONS_READ@`. */
%%SHAPE @MARK_ALL_NOTIFICATIONS_READ@ MarkAllNotificationsReadReply%%

/** Request event name -> its payload and its ok reply. */
export interface UserChannelRequests {
  @REFRESH_COUNTERS@: { payload: EmptyPayload; reply: RefreshCountersReply };
  @MARK_NOTIFICATION_READ@: { payload: { id: string }; reply: MarkNotificationReadReply };
  @MARK_ALL_NOTIFICATIONS_READ@: { payload: EmptyPayload; reply: MarkAllNotificationsReadReply };
}

/** Why the server refused a request (or a join: "unauthorized"). */
export type ErrorReason = "unauthorized" | "not_found" | "invalid";

/** The error reply of a join or a request. */
export interface ErrorReply {
  reason: ErrorReason;
}
"""


def render_types(schema: SdkSchema) -> str:
    fields: list[str] = []
    for field in schema.notification:
        if field.doc:
            fields.append(f"  /** {field.doc} */")
        fields.append(f"  {property_name(field.name)}: {field.ts_type};")
    head = _HEAD.replace("@TYPES@", union(NOTIFICATION_TYPES))
    head = head.replace("@FIELDS@", "\n".join(fields))
    return head + _SHAPE.sub(_interface, fill_wire_names(_BODY))


_SHAPE = re.compile(r"%%SHAPE (\w+) (\w+)%%")


def _interface(match: re.Match[str]) -> str:
    """A payload interface, field by field from `user_events.PAYLOAD_SHAPES`."""
    fields = PAYLOAD_SHAPES[match.group(1)]
    lines = [f"export interface {match.group(2)} {{"]
    for field in fields:
        if field.doc:
            lines.append(f"  /** {field.doc} */")
        lines.append(f"  {field.name}: {field.ts_type};")
    lines.append("}")
    return "\n".join(lines)
