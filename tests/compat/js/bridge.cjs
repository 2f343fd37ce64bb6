// A command/event bridge between pytest and the official phoenix.js client.
//
// pytest writes one JSON command per line on stdin; this process drives real `phoenix`
// Sockets and Channels (with the `ws` package as their WebSocket) and writes one JSON event
// per line on stdout. Every frame the client sends or receives is reported too, so tests can
// assert the wire as well as what the client's own callbacks saw.
"use strict";

const path = require("path");
const readline = require("readline");

const ROOT = path.resolve(__dirname, "..", "..", "..");
const { Socket, LongPoll, Presence } = require(path.join(ROOT, "node_modules", "phoenix"));
const WebSocket = require(path.join(ROOT, "node_modules", "ws"));

const sockets = new Map();
const channels = new Map();
const presences = new Map();

function emit(event) {
  process.stdout.write(JSON.stringify(event) + "\n");
}

// Binary payloads cross the JSON bridge as {"$bin": "<base64>"}.
function toJson(value) {
  if (value instanceof ArrayBuffer) return { $bin: Buffer.from(value).toString("base64") };
  if (ArrayBuffer.isView(value)) return { $bin: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJson(v);
    return out;
  }
  return value === undefined ? null : value;
}

function fromJson(value) {
  if (value && typeof value === "object" && !Array.isArray(value) && typeof value.$bin === "string") {
    const buf = Buffer.from(value.$bin, "base64");
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  }
  return value;
}

function frameToJson(data, isBinary) {
  if (isBinary) return { $bin: Buffer.from(data).toString("base64") };
  try {
    return JSON.parse(data.toString());
  } catch (_e) {
    return { $text: data.toString() };
  }
}

// A `ws` WebSocket that reports the handshake and every frame, and can present an Origin.
function transportFor(socketId, origin) {
  return class ReportingWebSocket extends WebSocket {
    constructor(url, protocols) {
      emit({ t: "ws_connect", socket: socketId, url, protocols: protocols || null });
      super(url, protocols, origin ? { origin } : {});
      this.on("open", () => emit({ t: "ws_open", socket: socketId, protocol: this.protocol }));
      this.on("message", (data, isBinary) =>
        emit({ t: "recv", socket: socketId, frame: frameToJson(data, isBinary) }));
      this.on("error", (err) => emit({ t: "ws_error", socket: socketId, message: String(err && err.message) }));
      this.on("close", (code, reason) =>
        emit({ t: "ws_close", socket: socketId, code, reason: reason.toString() }));
    }

    send(data, ...rest) {
      const isBinary = typeof data !== "string";
      emit({ t: "sent", socket: socketId, frame: frameToJson(isBinary ? Buffer.from(data) : data, isBinary) });
      return super.send(data, ...rest);
    }
  };
}

// phoenix.js's own LongPoll, reporting every frame it sends and receives (as the WebSocket
// class above does); `poll_request` reports each HTTP request it makes.
function longPollFor(socketId) {
  return class ReportingLongPoll extends LongPoll {
    constructor(url, protocols) {
      emit({ t: "lp_connect", socket: socketId, url });
      super(url, protocols);
      const deliver = (msg) => {
        let frame;
        try { frame = JSON.parse(msg.data); } catch (_e) { frame = { $text: String(msg.data) }; }
        emit({ t: "recv", socket: socketId, frame });
        this.onmessageReported(msg);
      };
      Object.defineProperty(this, "onmessage", {
        get: () => deliver,
        set: (fn) => { this.onmessageReported = fn; },
      });
    }

    ajax(method, headers, body, onCallerTimeout, callback) {
      emit({ t: "poll_request", socket: socketId, method, token: this.token });
      return super.ajax(method, headers, body, onCallerTimeout, (resp) => {
        emit({ t: "poll_response", socket: socketId, method, status: resp ? resp.status : null });
        callback(resp);
      });
    }

    send(body) {
      emit({ t: "sent", socket: socketId, frame: frameToJson(body, typeof body !== "string") });
      return super.send(body);
    }
  };
}

// A WebSocket that never opens, as behind a proxy that swallows the upgrade.
class BlockedWebSocket {
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    emit({ t: "ws_blocked", url });
  }
  send() {}
  close() { this.readyState = 3; }
}

// Backoff schedules come as lists; the function reports each call so tests see the tries.
function schedule(socketId, kind, list) {
  if (!list) return undefined;
  return (tries) => {
    emit({ t: kind, socket: socketId, tries });
    return list[Math.min(tries, list.length) - 1];
  };
}

function makeSocket(cmd) {
  const opts = Object.assign({}, cmd.opts || {});
  const id = cmd.id;
  if (opts.transport === "LongPoll") opts.transport = longPollFor(id);
  else if (opts.transport === "blocked") opts.transport = BlockedWebSocket;
  else opts.transport = transportFor(id, cmd.origin);
  opts.rejoinAfterMs = schedule(id, "rejoin_after", opts.rejoinAfterMs);
  opts.reconnectAfterMs = schedule(id, "reconnect_after", opts.reconnectAfterMs);
  if (cmd.paramsSeq) {
    // Params as a function: the client must call it again for every (re)connect.
    let calls = 0;
    const seq = cmd.paramsSeq;
    opts.params = () => seq[Math.min(calls++, seq.length - 1)];
  }
  const socket = new Socket(cmd.url, opts);
  socket.onOpen(() => emit({ t: "open", socket: id }));
  socket.onClose((e) => emit({ t: "close", socket: id, code: e && e.code, reason: e && String(e.reason || "") }));
  socket.onError((err) => emit({ t: "error", socket: id, message: String((err && err.message) || err) }));
  sockets.set(id, socket);
}

function makeChannel(cmd) {
  const socket = sockets.get(cmd.socket);
  const chan = socket.channel(cmd.topic, cmd.params || {});
  const id = cmd.id;
  chan.onMessage = (event, payload, ref) => {
    if (!event.startsWith("chan_reply_")) {
      emit({ t: "chan_msg", channel: id, event, payload: toJson(payload), ref: ref || null });
    }
    return payload;
  };
  chan.onError((reason) => emit({ t: "chan_error", channel: id, reason: toJson(reason) }));
  chan.onClose(() => emit({ t: "chan_close", channel: id }));
  channels.set(id, chan);
}

function hook(push, tag, kind, statuses) {
  for (const status of new Set(["ok", "error", "timeout", ...(statuses || [])])) {
    push.receive(status, (response) => emit({ t: kind, tag, status, response: toJson(response) }));
  }
}

// phoenix.js's Presence on a channel: every callback is reported with the folded list.
function makePresence(cmd) {
  const presence = new Presence(channels.get(cmd.channel));
  const id = cmd.id;
  const metas = (p) => (p ? toJson(p.metas) : null);
  presence.onJoin((key, current, joined) =>
    emit({ t: "presence_join", presence: id, key, current: metas(current), joined: metas(joined) }));
  presence.onLeave((key, current, left) =>
    emit({ t: "presence_leave", presence: id, key, current: metas(current), left: metas(left) }));
  presence.onSync(() =>
    emit({ t: "presence_sync", presence: id,
           list: presence.list((key, p) => ({ key, metas: toJson(p.metas) })) }));
  presences.set(id, presence);
}

const commands = {
  socket: makeSocket,
  channel: makeChannel,
  presence: makePresence,
  connect(cmd) {
    try {
      sockets.get(cmd.socket).connect();
    } catch (err) {
      emit({ t: "connect_threw", socket: cmd.socket, name: err.name, message: err.message });
    }
  },
  disconnect(cmd) {
    sockets.get(cmd.socket).disconnect(() => emit({ t: "disconnected", socket: cmd.socket }));
  },
  drop(cmd) {
    // An abrupt transport loss (no close handshake), as when a network goes away.
    sockets.get(cmd.socket).conn.terminate();
  },
  join(cmd) {
    const chan = channels.get(cmd.channel);
    const push = cmd.timeout ? chan.join(cmd.timeout) : chan.join();
    for (const status of ["ok", "error", "timeout"]) {
      push.receive(status, (response) =>
        emit({ t: "join", channel: cmd.channel, status, response: toJson(response), join_ref: chan.joinRef() }));
    }
  },
  push(cmd) {
    const chan = channels.get(cmd.channel);
    const push = chan.push(cmd.event, fromJson(cmd.payload || {}), cmd.timeout || undefined);
    hook(push, cmd.tag, "reply", cmd.statuses);
  },
  leave(cmd) {
    hook(channels.get(cmd.channel).leave(), cmd.tag, "leave", []);
  },
  raw(cmd) {
    // The socket-level push of the public API: any topic, event and join_ref.
    const socket = sockets.get(cmd.socket);
    const ref = socket.makeRef();
    let joinRef = cmd.join_ref === undefined ? null : cmd.join_ref;
    if (joinRef === "$ref") joinRef = ref;
    socket.push({ topic: cmd.topic, event: cmd.event, payload: cmd.payload || {}, ref, join_ref: joinRef });
    emit({ t: "raw_sent", tag: cmd.tag, ref, join_ref: joinRef });
  },
  state(cmd) {
    const out = { t: "state", tag: cmd.tag };
    if (cmd.channel) {
      const chan = channels.get(cmd.channel);
      out.channel_state = chan.state;
      out.join_ref = chan.joinRef() || null;
      out.rejoin_scheduled = Boolean(chan.rejoinTimer.timer);
      out.in_socket = chan.socket.channels.includes(chan);
    }
    if (cmd.socket) out.socket_state = sockets.get(cmd.socket).connectionState();
    emit(out);
  },
  exit() {
    for (const socket of sockets.values()) socket.disconnect();
    setImmediate(() => process.exit(0));
  },
};

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.trim()) return;
  let cmd;
  try {
    cmd = JSON.parse(line);
    commands[cmd.cmd](cmd);
  } catch (err) {
    emit({ t: "cmd_error", cmd: cmd && cmd.cmd, name: err.name, message: err.message });
  }
});
process.stdin.on("end", () => process.exit(0));
emit({ t: "ready", phoenix: require(path.join(ROOT, "node_modules", "phoenix", "package.json")).version });
