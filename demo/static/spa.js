// The /spa page: counters and notifications over the JSON channel only (official phoenix.js).
(function () {
  "use strict";
  var root = document.getElementById("spa");
  if (!root || !window.Phoenix) return;
  var userId = root.dataset.userId;
  var countersBox = document.getElementById("spa-counters");
  var list = document.getElementById("spa-notifications");
  var connection = document.getElementById("spa-connection");
  var state = { counters: {}, versions: {}, notifications: [] };
  var LABELS = {
    pending_orders: "Pending orders", cart_items: "Items in cart", active_tickets: "Open tickets",
    unread_notifications: "Unread notifications", admin_pending_orders: "Pending orders (all)",
    admin_pending_reseller_requests: "Reseller requests"
  };

  function setConnection(text) { connection.textContent = text; connection.dataset.state = text; }

  function renderCounters() {
    countersBox.replaceChildren();
    Object.keys(state.counters).sort().forEach(function (name) {
      var card = document.createElement("div");
      card.className = "stat";
      var label = document.createElement("span");
      label.className = "stat-label";
      label.textContent = LABELS[name] || name;
      var value = document.createElement("span");
      value.className = "liveui-badge";
      value.dataset.counter = name;
      value.textContent = String(state.counters[name]);
      card.append(label, value);
      countersBox.appendChild(card);
    });
  }

  function renderNotifications() {
    list.replaceChildren();
    if (!state.notifications.length) {
      var empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = "No notifications.";
      list.appendChild(empty);
    }
    state.notifications.forEach(function (n) {
      var item = document.createElement("li");
      item.dataset.notificationId = n.id;
      if (!n.read) item.dataset.unread = "";
      var text = document.createElement("span");
      var title = document.createElement("strong");
      title.textContent = n.title;
      var message = document.createElement("span");
      message.className = "muted";
      message.textContent = " " + n.message;
      text.append(title, message);
      item.appendChild(text);
      if (!n.read) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-small";
        button.textContent = "Mark as read";
        button.addEventListener("click", function () { channel.push("mark_notification_read", { id: n.id }); });
        item.appendChild(button);
      }
      list.appendChild(item);
    });
  }

  var socket = new Phoenix.Socket("/socket", { params: { token: root.dataset.socketToken } });
  socket.onOpen(function () { setConnection("connected"); });
  socket.onError(function () { setConnection("reconnecting"); });
  socket.onClose(function () { setConnection("reconnecting"); });
  socket.connect();
  var channel = socket.channel("user:" + userId, {});

  channel.on("initial_state", function (payload) {
    state.counters = payload.counters || {};
    state.versions = payload.versions || {};
    state.notifications = payload.notifications || [];
    renderCounters();
    renderNotifications();
  });
  channel.on("counter_updated", function (p) {
    var held = state.versions[p.counter];
    if (held !== undefined && p.version <= held) return;  // stale
    state.counters[p.counter] = p.value;
    state.versions[p.counter] = p.version;
    renderCounters();
  });
  channel.on("new_notification", function (n) {
    state.notifications = [n].concat(state.notifications.filter(function (x) { return x.id !== n.id; }));
    renderNotifications();
  });
  channel.on("notification_read", function (p) {
    state.notifications.forEach(function (n) { if (n.id === p.id) n.read = true; });
    renderNotifications();
  });
  channel.on("all_notifications_read", function () {
    state.notifications.forEach(function (n) { n.read = true; });
    renderNotifications();
  });
  channel.join()
    .receive("ok", function () { setConnection("connected"); })
    .receive("error", function (r) { setConnection("refused: " + (r.reason || "error")); });
  document.getElementById("spa-mark-all").addEventListener("click", function () {
    channel.push("mark_all_notifications_read", {});
  });
})();
