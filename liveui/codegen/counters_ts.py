"""Renders counters.ts: counter names, audiences, defaults, invalidated query keys, a guard."""

from __future__ import annotations

from .schema import SdkSchema
from .tslit import string, string_array, union

__all__ = ["render_counters"]


def render_counters(schema: SdkSchema) -> str:
    names = [c.name for c in schema.counters]
    lines = [
        "/** Every counter the server declares, sorted by name. */",
        "export const COUNTER_NAMES = [",
        *(f"  {string(n)}," for n in names),
        "] as const;",
        "",
        "export type CounterName = (typeof COUNTER_NAMES)[number];",
        "",
        '/** Who receives a counter: "user" is every signed-in user; others are configured. */',
        f"export type Audience = {union(schema.audiences)};",
        "",
        "/** Every query key a counter update may invalidate. */",
        f"export type QueryKey = {union(schema.query_keys)};",
        "",
        "/** A value for every counter. */",
        "export type Counters = { readonly [K in CounterName]: number };",
        "",
        "export const COUNTER_AUDIENCES: { readonly [K in CounterName]: Audience } = {",
        *(f"  {string(c.name)}: {string(c.audience)}," for c in schema.counters),
        "};",
        "",
        "/** What a client shows before the server's initial_state: 0 for every counter. */",
        "export const COUNTER_DEFAULTS: Counters = {",
        *(f"  {string(n)}: 0," for n in names),
        "};",
        "",
        "/** The query keys each counter's updates invalidate (its `invalidates=[...]`). */",
        "export const COUNTER_INVALIDATES: {",
        "  readonly [K in CounterName]: readonly QueryKey[];",
        "} = {",
        *(f"  {string(c.name)}: {string_array(c.invalidates)}," for c in schema.counters),
        "};",
        "",
        "/** The counter holding the unread notification count (null: notifications are off). */",
        "export const UNREAD_COUNTER: CounterName | null = "
        + (string(schema.unread_counter) if schema.unread_counter else "null")
        + ";",
        "",
        "export function isCounterName(value: unknown): value is CounterName {",
        "  return (",
        '    typeof value === "string" &&',
        "    Object.prototype.hasOwnProperty.call(COUNTER_AUDIENCES, value)",
        "  );",
        "}",
    ]
    return "\n".join(lines) + "\n"
