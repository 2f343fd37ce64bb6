"""Renders aggregates.ts: aggregate names, kinds, audiences, invalidated keys, the value type."""

from __future__ import annotations

from ..dispatch.aggregate_declaration import AGGREGATE_KINDS
from .schema import SdkSchema
from .tslit import string, string_array, union

__all__ = ["render_aggregates"]


def render_aggregates(schema: SdkSchema) -> str:
    aggregates = schema.aggregates
    lines = [
        'import type { Audience, QueryKey } from "./counters.js";',
        "",
        "/** Every aggregate the server declares, sorted by name. */",
        "export const AGGREGATE_NAMES = [",
        *(f"  {string(a.name)}," for a in aggregates),
        "] as const;",
        "",
        "export type AggregateName = (typeof AGGREGATE_NAMES)[number];",
        "",
        "/** What an aggregate computes over its column. */",
        f"export type AggregateKind = {union(AGGREGATE_KINDS)};",
        "",
        "/** An exact decimal in plain notation (\"1234.50\"), never a float on the wire: keep it",
        " * as a string, or parse it with a decimal library before doing arithmetic. */",
        "export type DecimalString = `${number}`;",
        "",
        "/** An aggregate's value (null: the average, minimum or maximum of nothing) and the",
        " * version of the read behind it; a client keeps the highest version. */",
        "export interface AggregateValue {",
        "  readonly value: DecimalString | null;",
        "  readonly version: number;",
        "}",
        "",
        "/** Aggregate name -> value, for the aggregates of the user's audiences. */",
        "export type Aggregates = { readonly [K in AggregateName]?: AggregateValue };",
        "",
        "export const AGGREGATE_KINDS: { readonly [K in AggregateName]: AggregateKind } = {",
        *(f"  {string(a.name)}: {string(a.kind)}," for a in aggregates),
        "};",
        "",
        "export const AGGREGATE_AUDIENCES: { readonly [K in AggregateName]: Audience } = {",
        *(f"  {string(a.name)}: {string(a.audience)}," for a in aggregates),
        "};",
        "",
        "/** The query keys each aggregate's updates invalidate (its `invalidates=[...]`). */",
        "export const AGGREGATE_INVALIDATES: {",
        "  readonly [K in AggregateName]: readonly QueryKey[];",
        "} = {",
        *(f"  {string(a.name)}: {string_array(a.invalidates)}," for a in aggregates),
        "};",
        "",
        "export function isAggregateName(value: unknown): value is AggregateName {",
        "  return (",
        '    typeof value === "string" &&',
        "    Object.prototype.hasOwnProperty.call(AGGREGATE_KINDS, value)",
        "  );",
        "}",
        "",
        "/** Whether a wire value is a plain decimal string (what the server sends). */",
        "export function isDecimalString(value: unknown): value is DecimalString {",
        '  return typeof value === "string" && /^-?\\d+(\\.\\d+)?$/.test(value);',
        "}",
    ]
    return "\n".join(lines) + "\n"
