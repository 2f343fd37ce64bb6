// The lobby chat: the official phoenix.js client talking to liveui's JSON channel.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root || !window.Phoenix) return;
  var log = document.getElementById("chat-log");
  var status = document.getElementById("chat-status");
  var typing = document.getElementById("chat-typing");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-body");
  var errorBox = document.getElementById("chat-error");
  var members = {};
  var seen = {};
  var typingTimer = null;
  var lastTyping = 0;

  var socket = new Phoenix.Socket("/socket", { params: { token: root.dataset.socketToken } });
  socket.onOpen(function () { status.textContent = "Connected"; status.dataset.state = "open"; });
  socket.onError(function () { status.textContent = "Reconnecting…"; status.dataset.state = "error"; });
  socket.connect();

  var channel = socket.channel("room:lobby", {});

  function name(userId) { return members[userId] || "user " + userId; }

  function addMessage(message) {
    if (seen[message.id]) return;
    seen[message.id] = true;
    var item = document.createElement("li");
    item.className = "chat-message" + (message.user_id === root.dataset.userId ? " mine" : "");
    item.dataset.messageId = message.id;
    var who = document.createElement("span");
    who.className = "chat-author";
    who.textContent = name(message.user_id);
    var when = document.createElement("time");
    when.dateTime = message.inserted_at;
    when.textContent = new Date(message.inserted_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    var body = document.createElement("p");
    body.className = "chat-body";
    body.textContent = message.body;  // text, never HTML
    item.append(who, when, body);
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  // Who is online: phoenix.js's Presence folds presence_state and presence_diff; a user with
  // several tabs is one key (the user id) with a meta per tab.
  var online = document.getElementById("chat-online");
  var presence = new Phoenix.Presence(channel);
  presence.onSync(function () {
    var people = presence.list(function (userId, entry) {
      return { userId: userId, username: entry.metas[0].username, tabs: entry.metas.length };
    });
    people.sort(function (a, b) { return a.username < b.username ? -1 : 1; });
    online.replaceChildren.apply(online, people.map(function (person) {
      var item = document.createElement("li");
      item.className = "chat-online-user";
      item.dataset.userId = person.userId;
      item.textContent = members[person.userId] || person.username;  // text, never HTML
      if (person.tabs > 1) {
        var tabs = document.createElement("span");
        tabs.className = "muted";
        tabs.textContent = " (" + person.tabs + " tabs)";
        item.appendChild(tabs);
      }
      return item;
    }));
  });

  channel.on("history", function (payload) { payload.messages.forEach(addMessage); });
  channel.on("new_msg", function (message) { addMessage(message); typing.textContent = ""; });
  channel.on("user_typing", function (payload) {
    typing.textContent = name(payload.user_id) + " is typing…";
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typing.textContent = ""; }, 3000);
  });
  channel.join()
    .receive("ok", function (reply) { members = reply.members || {}; status.textContent = "Connected"; })
    .receive("error", function (reply) { status.textContent = "Cannot join: " + (reply.reason || "error"); });

  input.addEventListener("input", function () {
    var now = Date.now();
    if (now - lastTyping > 2000) { lastTyping = now; channel.push("typing", {}); }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = input.value;
    errorBox.hidden = true;
    channel.push("new_msg", { body: body })
      .receive("error", function (reply) { errorBox.textContent = "Not sent: " + reply.reason; errorBox.hidden = false; })
      .receive("timeout", function () { errorBox.textContent = "Not sent: the server did not answer."; errorBox.hidden = false; });
    input.value = "";
  });
})();
