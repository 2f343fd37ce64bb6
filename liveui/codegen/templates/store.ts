// A framework-free store: one phoenix Socket, one `user:<id>` channel, the user's counters and
// notifications. The counters are the single source of truth for every count (the unread count
// included); the notification list never recounts it. Aggregates (sums, averages...) are kept
// the same way: the highest version wins, and their exact decimal strings are never parsed.
import { Socket } from "phoenix";
import type { Channel, SocketConnectOption } from "phoenix";

import {
  AGGREGATE_INVALIDATES,
  isAggregateName,
  isDecimalString,
  type AggregateName,
  type Aggregates,
  type AggregateValue,
} from "./aggregates.js";

import {
  COUNTER_DEFAULTS,
  COUNTER_INVALIDATES,
  COUNTER_NAMES,
  isCounterName,
  type CounterName,
  type Counters,
} from "./counters.js";
import type { CounterVersions, Notification } from "./types.js";

/**
 * - "connecting": before the first initial_state;
 * - "connected": joined, and the state is the server's;
 * - "disconnected": the connection dropped; phoenix reconnects and the store resyncs;
 * - "unauthorized": the server refused the join (wrong user or token); no retry;
 * - "closed": after `disconnect()`.
 */
export type ConnectionState = "connecting" | "connected" | "disconnected" | "unauthorized" | "closed";

export interface LiveState {
  readonly counters: Counters;
  readonly versions: CounterVersions;
  /** Newest first. */
  readonly notifications: readonly Notification[];
  /** The user's aggregates with their versions (empty until the first initial_state). */
  readonly aggregates: Aggregates;
  readonly connection: ConnectionState;
  /** True once an initial_state was applied. */
  readonly synced: boolean;
}

/** Called with the query keys to refetch and the counters that moved. */
export type InvalidateHandler = (keys: readonly string[], counters: readonly CounterName[]) => void;

export type NotificationHandler = (notification: Notification) => void;

export interface LiveStoreOptions {
  /** As for phoenix's `new Socket(url)`: "/socket" or "wss://example.com/socket". */
  readonly url: string;
  /** Sent as the `token` connect param. */
  readonly token: string;
  readonly userId: string | number;
  /** More phoenix Socket options, e.g. `transport: WebSocket` from the `ws` package in Node. */
  readonly socketOptions?: Partial<SocketConnectOption>;
  readonly onInvalidate?: InvalidateHandler;
  /** How many notifications the store holds (default 50). */
  readonly notificationLimit?: number;
  /** Milliseconds before a request rejects with reason "timeout" (default 10000). */
  readonly timeoutMs?: number;
}

export interface LiveStore {
  getState(): LiveState;
  /** For `useSyncExternalStore`: called after every change; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
  /** Opens the socket and joins the channel (the store starts disconnected). Idempotent. */
  connect(): void;
  disconnect(): void;
  markAsRead(id: string): Promise<void>;
  /** Resolves with the number of notifications marked. */
  markAllAsRead(): Promise<number>;
  refreshCounters(): Promise<Counters>;
  /** For query caches: keys to refetch after a counter moved. Returns the unsubscribe. */
  onInvalidate(handler: InvalidateHandler): () => void;
  onNotification(handler: NotificationHandler): () => void;
}

/** A request the server refused ("unauthorized", "not_found", "invalid"), or "timeout". */
export class LiveRequestError extends Error {
  readonly event: string;
  readonly reason: string;

  constructor(event: string, reason: string) {
    super(`${event} failed: ${reason}`);
    this.name = "LiveRequestError";
    this.event = event;
    this.reason = reason;
  }
}

interface CounterUpdate {
  readonly name: CounterName;
  readonly value: number;
  readonly version: number;
  readonly keys: readonly string[];
}

/** What a `@COUNTERS_UPDATED@` message moved, to invalidate once. */
interface Moved {
  keys: string[];
  counters: CounterName[];
}

interface AggregateUpdate {
  readonly name: AggregateName;
  readonly value: AggregateValue;
  readonly keys: readonly string[];
}

type JsonObject = { readonly [key: string]: unknown };

// Keyed by string for the same reason as Numbers.
type AggregateMap = { [name: string]: AggregateValue };

const AGGREGATE_KEYS: { readonly [name: string]: readonly string[] | undefined } =
  AGGREGATE_INVALIDATES;

// Working copies are keyed by string: with no counters declared, CounterName is `never`.
type Numbers = { [name: string]: number };

const INVALIDATES: { readonly [name: string]: readonly string[] | undefined } = COUNTER_INVALIDATES;

function keysOf(name: CounterName): readonly string[] {
  return INVALIDATES[name] ?? [];
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function isNotification(value: unknown): value is Notification {
  return isObject(value) && typeof value["id"] === "string" && typeof value["read"] === "boolean";
}

/** Milliseconds since the epoch of an ISO time, or null. */
function timeOf(value: string): number | null {
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

/** When a notification was inserted (its `insertedAt`, if the serializer sends one). */
function insertedAt(notification: Notification): number | null {
  const value = (notification as unknown as JsonObject)["insertedAt"];
  return typeof value === "string" ? timeOf(value) : null;
}

function reasonOf(response: unknown): string {
  return isObject(response) && typeof response["reason"] === "string" ? response["reason"] : "error";
}

function parseUpdate(payload: unknown): CounterUpdate | null {
  if (!isObject(payload)) return null;
  const name = payload["counter"];
  const value = payload["value"];
  const version = payload["version"];
  if (!isCounterName(name) || !isCount(value) || !isCount(version)) return null;
  const metadata = payload["metadata"];
  const listed = isObject(metadata) ? metadata["invalidateQueries"] : undefined;
  const keys = Array.isArray(listed)
    ? listed.filter((key): key is string => typeof key === "string")
    : keysOf(name);
  return { name, value, version, keys };
}

/** `@COUNTERS_UPDATED@`: several counters in one message, one update each (each carrying the
 * query keys they share). */
function parseUpdates(payload: unknown): CounterUpdate[] {
  if (!isObject(payload)) return [];
  const counters = payload["counters"];
  const versions = payload["versions"];
  if (!isObject(counters)) return [];
  const metadata = payload["metadata"];
  const updates: CounterUpdate[] = [];
  for (const [name, value] of Object.entries(counters)) {
    const version = isObject(versions) ? versions[name] : undefined;
    const update = parseUpdate({ counter: name, value, version, metadata });
    if (update !== null) updates.push(update);
  }
  return updates;
}

function parseAggregateValue(value: unknown, version: unknown): AggregateValue | null {
  if (!isCount(version) || (value !== null && !isDecimalString(value))) return null;
  return { value, version };
}

function parseAggregateUpdate(payload: unknown): AggregateUpdate | null {
  if (!isObject(payload)) return null;
  const name = payload["aggregate"];
  if (!isAggregateName(name)) return null;
  const value = parseAggregateValue(payload["value"], payload["version"]);
  if (value === null) return null;
  const metadata = payload["metadata"];
  const listed = isObject(metadata) ? metadata["invalidateQueries"] : undefined;
  const keys = Array.isArray(listed)
    ? listed.filter((key): key is string => typeof key === "string")
    : AGGREGATE_KEYS[name] ?? [];
  return { name, value, keys };
}

function report(error: unknown): void {
  console.error("liveui store: a handler failed", error);
}

export function createLiveStore(options: LiveStoreOptions): LiveStore {
  const limit = options.notificationLimit ?? 50;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const listeners = new Set<() => void>();
  const invalidateHandlers = new Set<InvalidateHandler>();
  const notificationHandlers = new Set<NotificationHandler>();
  if (options.onInvalidate) invalidateHandlers.add(options.onInvalidate);

  let state: LiveState = {
    counters: COUNTER_DEFAULTS,
    versions: {},
    notifications: [],
    aggregates: {},
    connection: "connecting",
    synced: false,
  };
  let socket: Socket | null = null;
  let channel: Channel | null = null;
  // Between a (re)join and its initial_state, updates wait here: the snapshot may be older.
  let awaitingInitial = true;
  const early = new Map<CounterName, CounterUpdate>();
  const earlyAggregates = new Map<AggregateName, AggregateUpdate>();
  // Notification events from several servers arrive in any order: "read" is final, a read for
  // a notification not received yet is remembered, and a mark-all cut-off covers late arrivals.
  const readIds = new Set<string>();
  const deletedIds = new Set<string>();
  let readBefore: number | null = null;

  function setState(patch: Partial<LiveState>): void {
    state = { ...state, ...patch };
    for (const listener of [...listeners]) listener();
  }

  function invalidate(keys: Iterable<string>, counters: readonly CounterName[]): void {
    const unique = [...new Set(keys)];
    if (unique.length === 0) return;
    for (const handler of [...invalidateHandlers]) {
      try {
        handler(unique, counters);
      } catch (error) {
        report(error);
      }
    }
  }

  function applyInitialState(payload: unknown): void {
    if (!isObject(payload)) return;
    const counters: Numbers = { ...COUNTER_DEFAULTS };
    const versions: Numbers = {};
    const values = isObject(payload["counters"]) ? payload["counters"] : {};
    const stamps = isObject(payload["versions"]) ? payload["versions"] : {};
    for (const [name, value] of Object.entries(values)) {
      if (isCounterName(name) && isCount(value)) counters[name] = value;
    }
    for (const [name, version] of Object.entries(stamps)) {
      if (isCounterName(name) && isCount(version)) versions[name] = version;
    }
    // A snapshot is a read like any other: a value already held from a newer read stays.
    for (const name of COUNTER_NAMES) {
      const held = state.versions[name];
      const loaded = versions[name];
      if (held !== undefined && (loaded === undefined || held > loaded)) {
        counters[name] = state.counters[name];
        versions[name] = held;
      }
    }
    const keys: string[] = [];
    for (const update of early.values()) {
      const held = versions[update.name];
      if (held === undefined || update.version >= held) {
        counters[update.name] = update.value;
        versions[update.name] = update.version;
        keys.push(...update.keys);
      }
    }
    early.clear();
    const aggregates = mergeAggregates(payload["aggregates"], keys);
    awaitingInitial = false;
    const list = payload["notifications"];
    const notifications = Array.isArray(list) ? list.filter(isNotification).slice(0, limit) : [];
    readIds.clear(); // the snapshot's list already reflects them
    deletedIds.clear();
    readBefore = null;
    // After a reconnect, whatever moved while away must be refetched by query caches too.
    const moved = state.synced ? COUNTER_NAMES.filter((n) => counters[n] !== state.counters[n]) : [];
    for (const name of moved) keys.push(...keysOf(name));
    setState({
      counters: counters as Counters,
      versions: versions as CounterVersions,
      notifications,
      aggregates: aggregates as Aggregates,
      connection: "connected",
      synced: true,
    });
    invalidate(keys, moved);
  }

  function applyUpdate(payload: unknown, batch?: Moved): void {
    const update = batch !== undefined ? (payload as CounterUpdate) : parseUpdate(payload);
    if (update === null) return;
    if (awaitingInitial) {
      const waiting = early.get(update.name);
      if (waiting === undefined || update.version >= waiting.version) early.set(update.name, update);
      return;
    }
    const held = state.versions[update.name];
    if (held !== undefined && update.version < held) return; // stale: an older count
    setState({
      counters: { ...state.counters, [update.name]: update.value },
      versions: { ...state.versions, [update.name]: update.version },
    });
    if (batch === undefined) {
      invalidate(update.keys, [update.name]);
    } else {
      batch.keys.push(...update.keys);
      batch.counters.push(update.name);
    }
  }

  /** A snapshot's aggregates, a value held from a newer read kept, early updates applied. */
  function mergeAggregates(loaded: unknown, keys: string[]): AggregateMap {
    const held: AggregateMap = { ...state.aggregates };
    const merged: AggregateMap = {};
    for (const [name, entry] of Object.entries(isObject(loaded) ? loaded : {})) {
      if (!isAggregateName(name) || !isObject(entry)) continue;
      const value = parseAggregateValue(entry["value"], entry["version"]);
      if (value !== null) merged[name] = value;
    }
    for (const [name, value] of Object.entries(held)) {
      const fresh = merged[name];
      if (fresh !== undefined && value.version > fresh.version) merged[name] = value;
    }
    for (const update of earlyAggregates.values()) {
      const current = merged[update.name];
      if (current === undefined || update.value.version >= current.version) {
        merged[update.name] = update.value;
        keys.push(...update.keys);
      }
    }
    earlyAggregates.clear();
    return merged;
  }

  function applyAggregateUpdate(payload: unknown): void {
    const update = parseAggregateUpdate(payload);
    if (update === null) return;
    if (awaitingInitial) {
      const waiting = earlyAggregates.get(update.name);
      if (waiting === undefined || update.value.version >= waiting.value.version) {
        earlyAggregates.set(update.name, update);
      }
      return;
    }
    const held = (state.aggregates as AggregateMap)[update.name];
    if (held !== undefined && update.value.version < held.version) return; // an older read
    setState({ aggregates: { ...state.aggregates, [update.name]: update.value } });
    invalidate(update.keys, []);
  }

  function addNotification(payload: unknown): void {
    if (!isNotification(payload)) return;
    if (state.notifications.some((n) => n.id === payload.id) || deletedIds.has(payload.id)) return;
    const inserted = insertedAt(payload);
    const covered = readBefore !== null && inserted !== null && inserted <= readBefore;
    const added = readIds.has(payload.id) || covered ? { ...payload, read: true } : payload;
    // Newest first by insertion time, whatever order the events arrived in.
    const merged = [added, ...state.notifications].sort(
      (a, b) => (insertedAt(b) ?? Infinity) - (insertedAt(a) ?? Infinity),
    );
    setState({ notifications: merged.slice(0, limit) });
    for (const handler of [...notificationHandlers]) {
      try {
        handler(payload);
      } catch (error) {
        report(error);
      }
    }
  }

  function removeNotification(id: string): void {
    deletedIds.add(id); // its @NEW_NOTIFICATION@ may still be on its way
    if (deletedIds.size > 64) deletedIds.delete(deletedIds.values().next().value as string);
    const notifications = state.notifications.filter((n) => n.id !== id);
    if (notifications.length !== state.notifications.length) setState({ notifications });
  }

  function markRead(id: string | null, cutoff: number | null = null): void {
    if (id !== null && !state.notifications.some((n) => n.id === id)) {
      readIds.add(id); // its @NEW_NOTIFICATION@ is still on its way
      if (readIds.size > 64) readIds.delete(readIds.values().next().value as string);
    }
    if (id === null && cutoff !== null && (readBefore === null || cutoff > readBefore)) {
      readBefore = cutoff;
    }
    const covers = (n: Notification): boolean => {
      if (id !== null) return n.id === id;
      const inserted = insertedAt(n);
      return cutoff === null || (inserted !== null && inserted <= cutoff);
    };
    const notifications = state.notifications.map((n) =>
      !n.read && covers(n) ? { ...n, read: true } : n,
    );
    if (notifications.some((n, i) => n !== state.notifications[i])) setState({ notifications });
  }

  function lost(): void {
    if (socket === null || state.connection === "unauthorized") return;
    awaitingInitial = true;
    early.clear();
    earlyAggregates.clear();
    if (state.connection !== "disconnected") setState({ connection: "disconnected" });
  }

  function request(event: string, payload: object): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (channel === null) {
        reject(new LiveRequestError(event, "closed"));
        return;
      }
      channel
        .push(event, payload, timeoutMs)
        .receive("ok", (response: unknown) => resolve(response))
        .receive("error", (response: unknown) =>
          reject(new LiveRequestError(event, reasonOf(response))),
        )
        .receive("timeout", () => reject(new LiveRequestError(event, "timeout")));
    });
  }

  function connect(): void {
    if (socket !== null) return;
    const opened = new Socket(options.url, {
      ...options.socketOptions,
      params: { token: options.token },
    });
    const joined = opened.channel(`@TOPIC_PREFIX@${String(options.userId)}`, {});
    socket = opened;
    channel = joined;
    awaitingInitial = true;
    early.clear();
    earlyAggregates.clear();
    if (state.connection !== "connecting") setState({ connection: "connecting" });
    opened.onError(() => lost());
    opened.onClose(() => lost());
    joined.onError(() => lost());
    joined.on("@INITIAL_STATE@", applyInitialState);
    joined.on("@COUNTER_UPDATED@", (payload: unknown) => applyUpdate(payload));
    joined.on("@COUNTERS_UPDATED@", (payload: unknown) => {
      // Applied one by one, their shared keys invalidated once.
      const moved: Moved = { keys: [], counters: [] };
      for (const update of parseUpdates(payload)) applyUpdate(update, moved);
      invalidate(moved.keys, moved.counters);
    });
    joined.on("@AGGREGATE_UPDATED@", applyAggregateUpdate);
    joined.on("@NEW_NOTIFICATION@", addNotification);
    joined.on("@NOTIFICATION_READ@", (payload: unknown) => {
      if (isObject(payload) && typeof payload["id"] === "string") markRead(payload["id"]);
    });
    joined.on("@NOTIFICATION_DELETED@", (payload: unknown) => {
      if (isObject(payload) && typeof payload["id"] === "string") removeNotification(payload["id"]);
    });
    joined.on("@ALL_NOTIFICATIONS_READ@", (payload: unknown) => {
      const ids = isObject(payload) ? payload["ids"] : undefined;
      if (Array.isArray(ids)) {
        // Exactly these (the cut-off would also cover one the server's update did not see).
        for (const id of ids) if (typeof id === "string") markRead(id);
        return;
      }
      const cutoff = isObject(payload) ? payload["readBefore"] : undefined;
      markRead(null, typeof cutoff === "string" ? timeOf(cutoff) : null);
    });
    joined
      .join(timeoutMs)
      .receive("ok", () => {
        awaitingInitial = true;
        early.clear();
        earlyAggregates.clear();
      })
      .receive("error", (response: unknown) => {
        if (reasonOf(response) !== "unauthorized") return;
        joined.leave(); // phoenix would otherwise retry a join that can never succeed
        setState({ connection: "unauthorized" });
      });
    opened.connect();
  }

  function disconnect(): void {
    const closing = socket;
    socket = null;
    channel?.leave();
    channel = null;
    closing?.disconnect();
    if (state.connection !== "closed") setState({ connection: "closed" });
  }

  return {
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    connect,
    disconnect,
    async markAsRead(id) {
      await request("@MARK_NOTIFICATION_READ@", { id });
      markRead(id);
    },
    async markAllAsRead() {
      const reply = await request("@MARK_ALL_NOTIFICATIONS_READ@", {});
      markRead(null);
      return isObject(reply) && isCount(reply["markedCount"]) ? reply["markedCount"] : 0;
    },
    async refreshCounters() {
      const reply = await request("@REFRESH_COUNTERS@", {});
      if (!isObject(reply) || !isObject(reply["counters"])) return state.counters;
      const stamps = isObject(reply["versions"]) ? reply["versions"] : {};
      const counters: Numbers = { ...state.counters };
      const versions: Numbers = { ...state.versions };
      for (const [name, value] of Object.entries(reply["counters"])) {
        const version = stamps[name];
        if (!isCounterName(name) || !isCount(value) || !isCount(version)) continue;
        const held = versions[name];
        if (held !== undefined && version < held) continue;
        counters[name] = value;
        versions[name] = version;
      }
      setState({ counters: counters as Counters, versions: versions as CounterVersions });
      return state.counters;
    },
    onInvalidate(handler) {
      invalidateHandlers.add(handler);
      return () => {
        invalidateHandlers.delete(handler);
      };
    },
    onNotification(handler) {
      notificationHandlers.add(handler);
      return () => {
        notificationHandlers.delete(handler);
      };
    },
  };
}
