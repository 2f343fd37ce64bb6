// The generated store (compiled from tests/codegen/golden) against a real liveui server.
//
// Run by tests/js/test_store.py, which compiles the SDK and passes, in the environment:
// LIVEUI_SDK_DIR (the compiled .js), LIVEUI_PYTHON, LIVEUI_ROOT (the repo), LIVEUI_PORT and
// LIVEUI_DB (an SQLite file). This file runs the server itself (tests.codegen.app on uvicorn),
// so it can restart it on the same port.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through tests/js/test_store.py`);
  return value;
};
const SDK_DIR = env("LIVEUI_SDK_DIR");
const PYTHON = env("LIVEUI_PYTHON");
const ROOT = env("LIVEUI_ROOT");
const PORT = Number(env("LIVEUI_PORT"));
const DB = env("LIVEUI_DB");
const BASE = `http://127.0.0.1:${PORT}`;
const TIMEOUT = 10_000;

const require = createRequire(path.join(ROOT, "package.json"));
const WebSocket = require("ws");
const { createLiveStore, LiveRequestError } = await import(
  pathToFileURL(path.join(SDK_DIR, "store.js")).href
);

// the server ----------------------------------------------------------------------------------
let server = null;
let serverLog = "";

async function startServer() {
  const child = spawn(
    PYTHON,
    ["-m", "uvicorn", "tests.codegen.app:app", "--host", "127.0.0.1", "--port", String(PORT),
      "--ws", "websockets-sansio", "--log-level", "warning", "--timeout-graceful-shutdown", "2"],
    { cwd: ROOT, env: { ...process.env, LIVEUI_CODEGEN_DATABASE_URL: `sqlite:///${DB}` } },
  );
  child.stdout.on("data", (chunk) => (serverLog += chunk));
  child.stderr.on("data", (chunk) => (serverLog += chunk));
  server = child;
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited:\n${serverLog}`);
    try {
      const response = await fetch(`${BASE}/test/token?user_id=1`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not start:\n${serverLog}`);
    await new Promise((resolve) => setTimeout(resolve, 50)); // polling a condition, with a deadline
  }
}

async function stopServer() {
  const child = server;
  server = null;
  if (child === null || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

async function post(route, body) {
  const response = await fetch(`${BASE}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.status, 200, `${route}: ${text}\n${serverLog}`);
  return JSON.parse(text);
}

async function tokenFor(userId) {
  const response = await fetch(`${BASE}/test/token?user_id=${userId}`);
  return (await response.json()).token;
}

// the store -----------------------------------------------------------------------------------
const stores = [];

async function storeFor(userId, { token, ...options } = {}) {
  const store = createLiveStore({
    url: `ws://127.0.0.1:${PORT}/socket`,
    token: token ?? (await tokenFor(userId)),
    userId,
    socketOptions: {
      transport: WebSocket,
      reconnectAfterMs: () => 100,
      rejoinAfterMs: () => 100,
    },
    ...options,
  });
  stores.push(store);
  store.connect();
  return store;
}

/** Resolves when `predicate(state)` holds; fails with the last state after a timeout. */
function waitFor(store, predicate, what) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!predicate(store.getState())) return false;
      clearTimeout(timer);
      unsubscribe();
      resolve(store.getState());
      return true;
    };
    const timer = setTimeout(() => {
      unsubscribe();
      const { connection, counters, notifications } = store.getState();
      reject(new Error(`timed out waiting for ${what}; state: ${JSON.stringify(
        { connection, counters, notifications: notifications.length })}\n${serverLog}`));
    }, TIMEOUT);
    const unsubscribe = store.subscribe(check);
    check();
  });
}

before(async () => {
  // What a fresh join must see: an order and an unread notification made before it connects.
  await startServer();
  await post("/test/orders", { user_id: 1 });
  await post("/test/notify", { user_id: 1, title: "Welcome" });
});

after(async () => {
  for (const store of stores) store.disconnect();
  await stopServer();
});

// the tests (in order: they share the server and alice's data) ---------------------------------
let alice = null;
const invalidated = [];
let firstAggregate = null;

test("initial_state fills counters and notifications on join", async () => {
  alice = await storeFor(1, { onInvalidate: (keys, counters) => invalidated.push({ keys, counters }) });
  assert.equal(alice.getState().synced, false);
  const state = await waitFor(alice, (s) => s.connection === "connected", "the first sync");
  assert.equal(state.synced, true);
  assert.equal(state.counters.pending_orders, 1);
  assert.equal(state.counters.unread_notifications, 1);
  assert.equal(state.counters.admin_pending_orders, 0, "alice is not in the admin audience");
  assert.equal(state.notifications.length, 1);
  assert.equal(state.notifications[0].title, "Welcome");
  assert.equal(state.notifications[0].read, false);
  assert.equal(typeof state.notifications[0].insertedAt, "string");
  assert.equal(typeof state.versions.pending_orders, "number");
  assert.deepEqual(invalidated, [], "the first sync invalidates nothing");
  firstAggregate = state.aggregates.last_order_id;
  assert.match(firstAggregate.value, /^\d+$/, "initial_state carries the aggregates");
  assert.equal(state.aggregates.pending_customers, undefined, "an admin aggregate");
});

test("a counter update from a commit moves the counter and invalidates its keys", async () => {
  await post("/test/orders", { user_id: 1 });
  await waitFor(alice, (s) => s.counters.pending_orders === 2, "pending_orders = 2");
  assert.deepEqual(invalidated.at(-1), { keys: ["orders"], counters: ["pending_orders"] });
});

test("an update older than the held version is dropped", async () => {
  const { versions, counters } = alice.getState();
  const held = versions.pending_orders;
  await post("/test/broadcast", {
    topic: "user:1",
    event: "counter_updated",
    payload: { counter: "pending_orders", value: 99, version: Math.floor(held / 2),
      metadata: { invalidateQueries: ["orders"] } },
  });
  // Frames on one channel arrive in order: once this one is applied, the stale one was seen.
  await post("/test/broadcast", {
    topic: "user:1",
    event: "counter_updated",
    payload: { counter: "open_tickets", value: counters.open_tickets + 7,
      // A read made now (versions are microseconds of the clock): newer than what is held.
      version: Date.now() * 1000, metadata: { invalidateQueries: [] } },
  });
  const state = await waitFor(alice, (s) => s.counters.open_tickets === counters.open_tickets + 7,
    "the marker update");
  assert.equal(state.counters.pending_orders, 2);
  assert.equal(state.versions.pending_orders, held);
});

test("counters_updated (broadcast_counters) moves several counters in one message", async () => {
  const { counters } = alice.getState();
  const version = Date.now() * 1000;
  await post("/test/broadcast", {
    topic: "user:1",
    event: "counters_updated",
    payload: {
      // pending_orders first, and stale: dropped; the keys still go out for open_tickets.
      counters: { pending_orders: 5, open_tickets: counters.open_tickets + 1 },
      versions: { pending_orders: 1, open_tickets: version },
      metadata: { invalidateQueries: ["orders", "tickets"] },
    },
  });
  const state = await waitFor(alice, (s) => s.counters.open_tickets === counters.open_tickets + 1,
    "open_tickets moved");
  assert.equal(state.counters.pending_orders, counters.pending_orders);
  assert.equal(state.versions.open_tickets, version);
  assert.deepEqual(invalidated.at(-1), { keys: ["orders", "tickets"], counters: ["open_tickets"] });
});

test("aggregates arrive as exact decimal strings, and an older read is dropped", async () => {
  // The order the counter test committed was recounted for the aggregate too.
  const first = firstAggregate;
  const moved = await waitFor(alice,
    (s) => s.aggregates.last_order_id.version > first.version, "last_order_id recounted");
  const held = moved.aggregates.last_order_id;
  assert.ok(Number(held.value) > Number(first.value), `${held.value} > ${first.value}`);
  const send = (value, version) => post("/test/broadcast", {
    topic: "user:1", event: "aggregate_updated",
    payload: { aggregate: "last_order_id", value, version, metadata: { invalidateQueries: [] } },
  });
  await send("1", Math.floor(held.version / 2)); // an older read
  await send(12.5, Date.now() * 1000); // a float: not a decimal string, refused
  const marker = Date.now() * 1000 + 1;
  await send("12345.50", marker); // the marker: a read made now
  const state = await waitFor(alice, (s) => s.aggregates.last_order_id.value === "12345.50",
    "the marker update");
  assert.equal(state.aggregates.last_order_id.version, marker);
});

test("markAsRead marks the notification; the server's counter brings the unread count", async () => {
  const [first] = alice.getState().notifications;
  await alice.markAsRead(first.id);
  assert.equal(alice.getState().notifications[0].read, true);
  await waitFor(alice, (s) => s.counters.unread_notifications === 0, "unread = 0");
  await assert.rejects(alice.markAsRead("00000000-0000-4000-8000-000000000000"),
    (error) => error instanceof LiveRequestError && error.reason === "not_found");
});

test("markAllAsRead marks every notification and resolves with the count", async () => {
  const seen = [];
  const off = alice.onNotification((n) => seen.push(n.title));
  await post("/test/notify", { user_id: 1, title: "One" });
  await post("/test/notify", { user_id: 1, title: "Two" });
  await waitFor(alice, (s) => s.counters.unread_notifications === 2 && s.notifications.length === 3,
    "two unread");
  off();
  assert.deepEqual(seen, ["One", "Two"]);
  assert.deepEqual(alice.getState().notifications.map((n) => n.title), ["Two", "One", "Welcome"]);
  assert.equal(await alice.markAllAsRead(), 2);
  assert.ok(alice.getState().notifications.every((n) => n.read));
  await waitFor(alice, (s) => s.counters.unread_notifications === 0, "unread = 0");
});

test("notification events from several servers end the same in any arrival order", async () => {
  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString();
  const note = (id, ms) => ({ id, type: "info", title: id, message: "", read: false, metadata: {},
    actionLabel: null, actionUrl: null, insertedAt: iso(ms) });
  const send = (event, payload) => post("/test/broadcast", { topic: "user:1", event, payload });
  await send("notification_read", { id: "early-read" }); // the read overtook its notification
  await send("new_notification", note("early-read", now));
  await send("all_notifications_read", { markedCount: 0, readBefore: iso(now + 1000) });
  await send("new_notification", note("late-covered", now + 500)); // inserted before the cut-off
  await send("new_notification", note("after-cutoff", now + 2000));
  await send("new_notification", note("older", now - 60_000)); // arrives last, sorts below
  const state = await waitFor(alice, (s) => s.notifications.some((n) => n.id === "older"),
    "the last event");
  const shown = state.notifications.map((n) => [n.id, n.read]);
  assert.deepEqual(shown.slice(0, 3), [["after-cutoff", false], ["late-covered", true],
    ["early-read", true]]);
  assert.ok(shown.findIndex(([id]) => id === "older") > 2, "ordered by insertion time");
});

test("refreshCounters replies the server's values", async () => {
  const counters = await alice.refreshCounters();
  assert.equal(counters.pending_orders, 2);
  assert.equal(counters.unread_notifications, 0);
});

test("after the server restarts, the store reconnects and resyncs", async () => {
  invalidated.length = 0;
  await stopServer();
  await waitFor(alice, (s) => s.connection === "disconnected", "the disconnection");
  // While the server is down, an order lands in the database behind its back.
  const insert = spawnSync(PYTHON, ["-c", [
    "import sqlite3, sys",
    "db = sqlite3.connect(sys.argv[1])",
    "db.execute(\"INSERT INTO orders (user_id, status) VALUES (1, 'pending')\")",
    "db.commit()",
  ].join("\n"), DB], { encoding: "utf8" });
  assert.equal(insert.status, 0, insert.stderr);
  await startServer();
  const state = await waitFor(alice, (s) => s.connection === "connected", "the resync");
  assert.equal(state.counters.pending_orders, 3);
  assert.equal(state.counters.open_tickets, 0);
  assert.equal(state.notifications.length, 3, "the snapshot's list replaces the one held");
  assert.deepEqual(invalidated, [{ keys: ["orders"], counters: ["pending_orders"] }]);
  // Live again: a commit on the new server moves the counter.
  await post("/test/orders", { user_id: 1 });
  await waitFor(alice, (s) => s.counters.pending_orders === 4, "pending_orders = 4");
});

test("a join for another user is refused", async () => {
  const intruder = await storeFor(2, { token: await tokenFor(1) });
  const state = await waitFor(intruder, (s) => s.connection === "unauthorized", "the refusal");
  assert.equal(state.synced, false);
  assert.equal(state.counters.pending_orders, 0);
});
