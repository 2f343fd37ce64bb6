/* liveui client glue: opens the live connection with htmx's SSE or WS extension, sends the page's
   component specs and the last patch id when (re)connecting, adds the session token to live
   actions, and keeps dropdowns' open state and relative times on the client. */
(function () {
  'use strict';
  var meta = document.querySelector('meta[name="liveui"]');
  if (!meta || !window.htmx) { return; }
  var cfg = {
    transport: meta.getAttribute('data-transport') || 'ws',
    sseUrl: meta.getAttribute('data-sse-url'),
    sseExtension: meta.getAttribute('data-sse-extension'),
    wsUrl: meta.getAttribute('data-ws-url'),
    prefix: meta.getAttribute('data-prefix') || '/liveui',
    root: meta.getAttribute('data-root') || '',
    token: meta.getAttribute('data-token'),
    // Seconds hidden before the live session pauses; empty: never.
    pauseAfter: parseFloat(meta.getAttribute('data-pause-after') || '')
  };
  var lastId = null;
  var liveui = window.liveui = { config: cfg, lastEventId: function () { return lastId; } };

  function b64url(text) {
    var bytes = new TextEncoder().encode(text), bin = '';
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  /* Every live element describes itself (type, params, etag of what it shows); read at each
     connect so a session can be rebuilt anywhere, e.g. after a server restart. */
  function specs() {
    var seen = {}, out = [];
    document.querySelectorAll('[data-live]').forEach(function (el) {
      if (seen[el.id]) { return; }
      seen[el.id] = true;
      var params = {};
      try { params = JSON.parse(el.getAttribute('data-live-params') || '{}'); } catch (e) {}
      out.push({ c: el.getAttribute('data-live'), p: params, e: el.getAttribute('data-live-etag') });
    });
    return out;
  }
  liveui.specs = specs;

  function connectUrl(base) {
    var url = base + (base.indexOf('?') < 0 ? '?' : '&') + 'token=' + encodeURIComponent(cfg.token) +
      '&c=' + b64url(JSON.stringify(specs()));
    if (lastId) { url += '&last_event_id=' + encodeURIComponent(lastId); }
    return url;
  }

  htmx.createEventSource = function (url) {
    var source = new EventSource(connectUrl(url), { withCredentials: true });
    source.addEventListener('patch', function (e) { if (e.lastEventId) { lastId = e.lastEventId; } });
    liveui.source = source;
    return source;
  };
  /* WebSocket reconnect backoff: htmx-ext-ws doubles its delay up to 64 s, so after a restart
     a tab could stay dead for a minute. Full jitter (a restart's thousands of tabs spread out)
     doubling from 200 ms, capped at 5 s. */
  htmx.config.wsReconnectDelay = function (retry) {
    return Math.min(5000, 200 * Math.pow(2, Math.min(retry, 5))) * Math.random();
  };
  htmx.createWebSocket = function (url) {
    var socket = new WebSocket(connectUrl(url), []);
    socket.binaryType = htmx.config.wsBinaryType;
    socket.addEventListener('open', function () { connected(); });
    socket.addEventListener('close', function (e) {
      if (socket !== liveui.socket || stopped) { return; }
      // 1008: the server closed this tab for good (logout, the per-user cap); no retry follows.
      if (e.code === 1008) { ask(e.reason || 'closed by the server'); } else { failed(); }
    });
    liveui.socket = socket;
    return socket;
  };

  /* Connection state, shown on the page: <html> carries liveui-connected, liveui-reconnecting
     or liveui-stopped, and a banner (#liveui-status) says the last two. The browser cannot
     read why a connection failed, so after a few failures in a row the page asks the server
     (<prefix>/status): a refusal (403 forged, expired or revoked token; 410; 503 node not
     started) stops retrying for good; a WebSocket that never opened while the server answers
     falls back to SSE (a proxy refusing upgrades); no answer (a restart) keeps retrying. */
  var ASK_AFTER = 3, failures = 0, everOpened = false, stopped = false, asking = false;
  var html = document.documentElement;
  function banner() {
    var el = document.getElementById('liveui-status');
    if (!el) {
      el = document.createElement('div');
      el.id = 'liveui-status';
      el.className = 'liveui-status';
      el.setAttribute('role', 'status');
      el.setAttribute('aria-live', 'polite');
      el.hidden = true;
      document.body.appendChild(el);
    }
    return el;
  }
  function show(state, text) {
    html.classList.remove('liveui-connected', 'liveui-reconnecting', 'liveui-stopped');
    html.classList.add('liveui-' + state);
    liveui.state = state;
    var el = banner();
    el.hidden = state === 'connected';
    el.textContent = text || '';
    if (state === 'stopped') {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'liveui-reload';
      button.textContent = 'Reload';
      button.addEventListener('click', function () { window.location.reload(); });
      el.appendChild(document.createTextNode(' '));
      el.appendChild(button);
    }
  }
  function connected() {
    failures = 0;
    everOpened = true;
    if (!stopped) { show('connected'); }
  }
  function failed() {
    if (stopped) { return; }
    show('reconnecting', 'Reconnecting\u2026');
    if (++failures % ASK_AFTER === 0) { ask(null); }
  }
  function ask(closedBecause) {
    if (asking) { return; }
    asking = true;
    fetch(cfg.root + cfg.prefix + '/status', {
      headers: { 'X-LiveUI-Token': cfg.token }, credentials: 'same-origin', cache: 'no-store'
    }).then(function (r) {
      if (r.status === 403 || r.status === 410 || r.status === 503) {
        return r.text().then(function (why) { stop(why || ('HTTP ' + r.status)); });
      }
      if (closedBecause) { stop(closedBecause); return; }
      if (r.ok && cfg.transport === 'ws' && !everOpened && cfg.sseUrl && cfg.sseExtension) {
        fallBackToSSE();
      }
    }, function () {
      if (closedBecause) { stop(closedBecause); }  // no answer: the server is away, keep trying
    }).then(function () { asking = false; });
  }
  function stop(why) {
    stopped = true;
    var sink = document.getElementById('liveui-connection');
    if (sink) { htmx.remove(sink); }  // the extensions stop retrying a detached element
    if (window.console) { console.warn('liveui: live updates stopped: ' + why); }
    show('stopped', 'Live updates stopped \u2014 reload.');
  }
  liveui.stopped = function () { return stopped; };
  document.addEventListener('htmx:sseOpen', function () { connected(); });
  document.addEventListener('htmx:sseError', function (e) {
    var source = e.detail && e.detail.source;
    if (source === liveui.source && source.readyState !== EventSource.OPEN) { failed(); }
  });

  /* A WebSocket that never opens (a proxy that refuses upgrades) while the server answers falls
     back to SSE, for this page only: live updates then share the browser's six HTTP/1.1
     connections per host, which is still better than none. */
  function fallBackToSSE() {
    cfg.transport = 'sse';
    failures = 0;
    var sink = document.getElementById('liveui-connection');
    if (sink) { htmx.remove(sink); }  // the ws extension stops retrying a detached element
    var script = document.createElement('script');
    script.src = cfg.sseExtension;
    script.onload = connect;
    document.head.appendChild(script);
  }
  /* A WebSocket frame is applied the way the SSE extension applies a patch: one htmx.swap that
     only performs the out-of-band parts, those wrapped in <template> included (table rows). */
  document.addEventListener('htmx:wsBeforeMessage', function (e) {
    var text = e.detail.message || '';
    var m = /^<!--live:(\S+)-->/.exec(text);
    if (m && m[1] !== 'ping' && m[1] !== 'error') { lastId = m[1]; }
    e.preventDefault();
    if (m && (m[1] === 'ping' || m[1] === 'error')) { return; }
    if (text.replace(/^<!--live:\S+-->/, '').trim()) {
      htmx.swap(e.target, text, { swapStyle: 'none', swapDelay: 0, settleDelay: 0 }, { contextElement: e.target });
    }
  });

  /* A refused live action answers with an error status and its flash message: show it. */
  document.addEventListener('htmx:beforeSwap', function (e) {
    var d = e.detail, path = d.requestConfig && d.requestConfig.path;
    if (path && path.indexOf(cfg.prefix + '/') === 0 && d.xhr && d.xhr.status >= 400 &&
        (d.serverResponse || '').indexOf('id="liveui-flash"') >= 0) {
      d.shouldSwap = true;
      d.isError = false;
    }
  });

  // CSRF: live actions carry the token in a custom header, never in a cookie. Components render
  // the action URL without the app's mount prefix (one render serves every mount): add it here.
  document.addEventListener('htmx:configRequest', function (e) {
    var path = e.detail.path;
    if (!path) { return; }
    if (cfg.root && path.indexOf(cfg.prefix + '/') === 0) { path = e.detail.path = cfg.root + path; }
    if (path.indexOf(cfg.root + cfg.prefix + '/') === 0) {
      e.detail.headers['X-LiveUI-Token'] = cfg.token;
    }
  });

  function connect() {
    if (stopped || document.getElementById('liveui-connection')) { return; }
    var sink = document.createElement('div');
    sink.id = 'liveui-connection';
    sink.hidden = true;
    if (cfg.transport === 'ws') {
      sink.setAttribute('hx-ext', 'ws');
      sink.setAttribute('ws-connect', cfg.wsUrl);
    } else {
      // Only the out-of-band parts of a patch apply; the sink itself never changes.
      sink.setAttribute('hx-ext', 'sse');
      sink.setAttribute('sse-connect', cfg.sseUrl);
      sink.setAttribute('sse-swap', 'patch');
      sink.setAttribute('hx-swap', 'none');
    }
    document.body.appendChild(sink);
    htmx.process(sink);
  }
  liveui.reconnect = function () {
    var sink = document.getElementById('liveui-connection');
    if (sink) { htmx.remove(sink); }
    connect();
  };

  /* Hidden-tab pause: hidden for pauseAfter seconds, the tab asks the server to stop rendering
     for it; shown again, it asks for a resume at once. Messages go one at a time (a resume must
     never overtake the pause before it). A reconnect resumes on the server by itself, so a tab
     still hidden pauses again; a resume that fails reconnects, which resumes. */
  var pauseTimer = null, paused = false, serverPaused = false, sending = Promise.resolve();
  function tell(kind) {
    if (cfg.transport === 'ws') {
      var socket = liveui.socket;
      // Not open: it is reconnecting, and that resumes the session anyway.
      if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify({ liveui: kind })); }
      return;
    }
    sending = sending.then(function () {
      return fetch(cfg.root + cfg.prefix + '/' + kind, {
        method: 'POST', headers: { 'X-LiveUI-Token': cfg.token }, credentials: 'same-origin', keepalive: true
      }).then(function (r) { return r.ok; }, function () { return false; });
    }).then(function (ok) {
      if (kind === 'pause') { serverPaused = ok; return; }
      if (!ok && serverPaused && !paused) { liveui.reconnect(); }
      serverPaused = false;
    });
  }
  function pause() {
    pauseTimer = null;
    if (document.visibilityState === 'visible' || paused) { return; }
    paused = true;
    tell('pause');
  }
  liveui.paused = function () { return paused; };
  function schedulePause() {
    if (cfg.pauseAfter >= 0 && pauseTimer === null && !paused) {
      pauseTimer = setTimeout(pause, cfg.pauseAfter * 1000);
    }
  }
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState !== 'visible') { schedulePause(); return; }
    clearTimeout(pauseTimer);
    pauseTimer = null;
    // A tab shown again after its connection died resyncs at once instead of waiting for backoff.
    var closed = cfg.transport === 'ws'
      ? (liveui.socket && liveui.socket.readyState === WebSocket.CLOSED)
      : (liveui.source && liveui.source.readyState === EventSource.CLOSED);
    if (closed) { paused = false; liveui.reconnect(); return; }
    if (paused) { paused = false; tell('resume'); }
  });
  function reopened() {
    if (paused && document.visibilityState !== 'visible') { tell('pause'); }
  }
  document.addEventListener('htmx:sseOpen', reopened);
  document.addEventListener('htmx:wsOpen', reopened);

  /* Dropdowns: open state is client-side only, so patches never close them. */
  function setOpen(button, open) {
    var panel = document.getElementById(button.getAttribute('data-liveui-toggle'));
    if (!panel) { return; }
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
    panel.hidden = !open;
    if (open) { place(panel); }
  }
  function openButtons() {
    return document.querySelectorAll('[data-liveui-toggle][aria-expanded="true"]');
  }
  /* liveui.css hangs the panel under the bell's right edge and caps its width to the viewport;
     wherever the bell is, shift the panel sideways (--liveui-panel-shift) to keep it on screen. */
  var EDGE = 8;
  function place(panel) {
    panel.style.removeProperty('--liveui-panel-shift');
    var box = panel.getBoundingClientRect(), width = document.documentElement.clientWidth;
    var shift = Math.max(EDGE - box.left, Math.min(0, width - EDGE - box.right));
    if (shift) { panel.style.setProperty('--liveui-panel-shift', shift + 'px'); }
  }
  window.addEventListener('resize', function () {
    openButtons().forEach(function (b) {
      var panel = document.getElementById(b.getAttribute('data-liveui-toggle'));
      if (panel) { place(panel); }
    });
  });
  document.addEventListener('click', function (e) {
    var button = e.target.closest && e.target.closest('[data-liveui-toggle]');
    if (button) {
      setOpen(button, button.getAttribute('aria-expanded') !== 'true');
      return;
    }
    openButtons().forEach(function (b) {
      var panel = document.getElementById(b.getAttribute('data-liveui-toggle'));
      if (panel && !panel.contains(e.target) && e.target.isConnected) { setOpen(b, false); }
    });
  });
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape') { return; }
    openButtons().forEach(function (b) { setOpen(b, false); b.focus(); });
  });

  /* Relative times ("3 min ago") are written here, so server fragments stay cacheable. */
  var rtf = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }) : null;
  function relative(iso) {
    var t = Date.parse(iso);
    if (isNaN(t) || !rtf) { return null; }
    var s = Math.round((t - Date.now()) / 1000), a = Math.abs(s);
    if (a < 45) { return rtf.format(0, 'second'); }
    if (a < 3600) { return rtf.format(Math.round(s / 60), 'minute'); }
    if (a < 86400) { return rtf.format(Math.round(s / 3600), 'hour'); }
    return rtf.format(Math.round(s / 86400), 'day');
  }
  function refreshTimes(root) {
    (root || document).querySelectorAll('time[data-liveui-time]').forEach(function (el) {
      var text = relative(el.getAttribute('datetime'));
      if (text) { el.textContent = text; el.title = el.getAttribute('datetime'); }
    });
  }
  liveui.refreshTimes = refreshTimes;

  /* New notifications are announced politely to screen readers (and shown as a toast). */
  function announce(text) {
    var region = document.getElementById('liveui-announcer');
    if (!region) {
      region = document.createElement('div');
      region.id = 'liveui-announcer';
      region.className = 'liveui-toast';
      region.setAttribute('role', 'status');
      region.setAttribute('aria-live', 'polite');
      document.body.appendChild(region);
    }
    region.textContent = text;
    region.classList.add('liveui-toast-visible');
    clearTimeout(liveui._toastTimer);
    liveui._toastTimer = setTimeout(function () { region.classList.remove('liveui-toast-visible'); }, 4000);
  }
  /* Inserts are idempotent: an element the page already has (a patch that reached it twice, a
     replay racing the live stream) is taken out first, so the insert moves it to where the
     server puts it instead of showing it twice. Replaces are idempotent by nature. */
  document.addEventListener('htmx:oobBeforeSwap', function (e) {
    var d = e.detail, fragment = d && d.fragment, kids = fragment && fragment.children;
    if (!kids) { return; }
    for (var i = 0; i < kids.length; i++) {
      var old = kids[i].id && document.getElementById(kids[i].id);
      if (old && old !== d.target && !old.contains(d.target)) { old.remove(); }
    }
  });
  document.addEventListener('htmx:oobAfterSwap', function (e) {
    refreshTimes();
    var fragment = e.detail && e.detail.fragment;
    var item = fragment && fragment.querySelector && fragment.querySelector('[data-notification-id][data-unread]');
    var target = e.detail && e.detail.target;
    if (item && target && target.matches && target.matches('.liveui-notifications')) {
      var title = item.querySelector('.liveui-notification-title');
      announce('New notification: ' + (title ? title.textContent : ''));
    }
  });


  /* View params (docs/view-params.md): a person changes a component's view — filters, search,
     sort, range — and the server owns it. Controls are a GET form `data-live-view-for="<id>"`
     (without JavaScript it loads the filtered page) and links `a[data-sort]` (column headers)
     and `a[data-live-view-link]` ("load more" as pages) inside the component; here a change is posted as `event=view`, the server re-renders the component
     over the live connection and answers with the view it chose, which goes into the address
     bar (pushState; replaceState while typing in a search box). Back/forward ask the server for
     the view in the URL. No live session on the server: the view's URL is loaded instead. */
  var TYPING_MS = 300, TYPING_BURST_MS = 2000;
  function viewNames(root) {
    return (root.getAttribute('data-live-view') || '').split(' ').filter(Boolean);
  }
  function viewUrl(names, query) {
    var url = new URL(window.location.href);
    names.forEach(function (n) { url.searchParams.delete(n); });
    new URLSearchParams(query).forEach(function (v, k) { url.searchParams.set(k, v); });
    return url.pathname + url.search + url.hash;
  }
  function setControls(id, view) {
    document.querySelectorAll('form[data-live-view-for="' + id + '"]').forEach(function (form) {
      Object.keys(view).forEach(function (name) {
        var field = form.elements.namedItem(name);
        if (field && field !== document.activeElement && field.value !== view[name]) { field.value = view[name]; }
      });
    });
  }
  var viewQueue = {};
  function sendView(id, values, history) {
    var q = viewQueue[id] || (viewQueue[id] = { busy: false, next: null });
    if (q.busy) { q.next = { values: values, history: history }; return; }
    var root = document.getElementById(id);
    if (!root) { return; }
    var names = viewNames(root), wanted = {};
    names.forEach(function (n) { if (values[n] !== undefined && values[n] !== null) { wanted[n] = values[n]; } });
    q.busy = true;
    var body = new URLSearchParams({ event: 'view', component: id, view: JSON.stringify(wanted) });
    fetch(cfg.root + cfg.prefix + '/event', {
      method: 'POST', body: body, credentials: 'same-origin',
      headers: { 'X-LiveUI-Token': cfg.token }
    }).then(function (r) {
      if (r.status === 200) { return r.json(); }
      if (r.status === 409 || r.status >= 500) { throw new Error('reload'); }
      return null;  // refused (400/403/429): the page keeps the view it shows
    }).then(function (answer) {
      if (!answer) { return; }
      setControls(id, answer.view);
      var url = viewUrl(names, answer.query), here = window.location.pathname + window.location.search + window.location.hash;
      if (history !== 'none' && url !== here) {
        window.history[history === 'replace' ? 'replaceState' : 'pushState']({ liveuiView: true }, '', url);
      }
    }).catch(function () {
      var query = new URLSearchParams();
      Object.keys(wanted).forEach(function (k) { query.set(k, wanted[k]); });
      window.location.assign(viewUrl(names, query.toString()));
    }).then(function () {
      q.busy = false;
      var next = q.next;
      q.next = null;
      if (next) { sendView(id, next.values, next.history); }
    });
  }
  liveui.sendView = sendView;
  function formValues(form) {
    var values = {};
    new FormData(form).forEach(function (v, k) { if (typeof v === 'string') { values[k] = v; } });
    return values;
  }
  function setupViews() {
    var timers = {}, lastTyped = {};
    function typed(form) {
      var id = form.getAttribute('data-live-view-for');
      clearTimeout(timers[id]);
      timers[id] = setTimeout(function () {
        var now = Date.now(), burst = lastTyped[id] && now - lastTyped[id] < TYPING_BURST_MS;
        lastTyped[id] = now;
        sendView(id, formValues(form), burst ? 'replace' : 'push');
      }, TYPING_MS);
    }
    document.addEventListener('input', function (e) {
      var form = e.target.form;
      if (!form || !form.hasAttribute('data-live-view-for')) { return; }
      if (e.target.type === 'search' || e.target.type === 'text') { typed(form); }
    });
    document.addEventListener('change', function (e) {
      var form = e.target.form;
      if (!form || !form.hasAttribute('data-live-view-for')) { return; }
      if (e.target.type === 'search' || e.target.type === 'text') { return; }  // sent while typing
      sendView(form.getAttribute('data-live-view-for'), formValues(form), 'push');
    });
    document.addEventListener('submit', function (e) {
      var form = e.target;
      if (!form.hasAttribute || !form.hasAttribute('data-live-view-for')) { return; }
      e.preventDefault();
      var id = form.getAttribute('data-live-view-for');
      clearTimeout(timers[id]);
      sendView(id, formValues(form), 'push');
    });
    document.addEventListener('click', function (e) {
      var link = e.target.closest && e.target.closest('a[data-sort], a[data-live-view-link]');
      var root = link && link.closest('[data-live-view]');
      if (!root || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) { return; }
      e.preventDefault();
      var values = {};
      new URL(link.href).searchParams.forEach(function (v, k) { values[k] = v; });
      sendView(root.id, values, 'push');
    });
    window.addEventListener('popstate', function () {
      var params = new URLSearchParams(window.location.search);
      document.querySelectorAll('[data-live-view]').forEach(function (root) {
        var values = {};
        viewNames(root).forEach(function (n) { if (params.has(n)) { values[n] = params.get(n); } });
        sendView(root.id, values, 'none');
      });
    });
  }

  function start() {
    refreshTimes(); connect(); setInterval(refreshTimes, 30000); setupViews();
    if (document.visibilityState === 'hidden') { schedulePause(); }  // opened in the background
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else { start(); }
})();
