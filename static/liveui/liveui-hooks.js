/* liveui client hooks (docs/hooks.md): a small door to your own JavaScript.

     <button id="copy-5" data-liveui-hook="CopyText" data-copy="#5">Copy</button>

     liveui.hooks.CopyText = {
       mounted: function () { ... this.el, this.pushEvent('copied', {id: 5}),
                              this.handleEvent('copied', function (payload) { ... }) },
       updated: function () { ... },     // the server replaced the element (same id)
       destroyed: function () { ... }    // the element left the page
     };

   Register hooks from a script file of your own loaded after liveui.js (no inline script: the
   page's CSP can stay strict). An element with a hook needs an id: a patch replaces the element,
   and the id is how the same hook instance follows it. */
(function () {
  'use strict';
  var liveui = window.liveui;
  if (!liveui) { return; }
  var cfg = liveui.config;
  var hooks = liveui.hooks = liveui.hooks || {};
  var live = {};  // element id -> hook instance
  var handlers = {};  // event name -> [{instance, fn}]

  function componentSpec(el) {
    var root = el.closest('[data-live]');
    if (!root) { return null; }
    var params = {};
    try { params = JSON.parse(root.getAttribute('data-live-params') || '{}'); } catch (e) {}
    return JSON.stringify({ c: root.getAttribute('data-live'), p: params });
  }

  function Instance(el, name) {
    this.el = el;
    this.hookName = name;
  }
  /* To the component whose element holds this one: its handle_event(event, {"payload": JSON}). */
  Instance.prototype.pushEvent = function (event, payload) {
    var spec = componentSpec(this.el);
    if (!spec) { return Promise.reject(new Error('liveui: a hook outside any live component cannot pushEvent')); }
    var body = new URLSearchParams();
    body.append('event', event);
    body.append('spec', spec);
    body.append('payload', JSON.stringify(payload === undefined ? null : payload));
    return fetch(cfg.root + cfg.prefix + '/event', {
      method: 'POST', body: body, credentials: 'same-origin', headers: { 'X-LiveUI-Token': cfg.token }
    }).then(function (r) { return r.ok; });
  };
  /* From the server: ctx.push_event(event, payload) reaches every hook that listens. */
  Instance.prototype.handleEvent = function (event, fn) {
    (handlers[event] = handlers[event] || []).push({ instance: this, fn: fn });
  };

  function call(instance, phase) {
    var hook = hooks[instance.hookName];
    if (hook && typeof hook[phase] === 'function') {
      try { hook[phase].call(instance); } catch (err) { if (window.console) { console.error(err); } }
    }
  }

  function sync() {
    var seen = {};
    document.querySelectorAll('[data-liveui-hook][id]').forEach(function (el) {
      seen[el.id] = true;
      var instance = live[el.id];
      if (!instance) {
        instance = live[el.id] = new Instance(el, el.getAttribute('data-liveui-hook'));
        call(instance, 'mounted');
      } else if (instance.el !== el) {
        instance.el = el;
        call(instance, 'updated');
      }
    });
    Object.keys(live).forEach(function (id) {
      if (seen[id]) { return; }
      var instance = live[id];
      delete live[id];
      Object.keys(handlers).forEach(function (event) {
        handlers[event] = handlers[event].filter(function (h) { return h.instance !== instance; });
      });
      call(instance, 'destroyed');
    });
  }

  function deliver(sink) {
    sink.querySelectorAll('[data-liveui-event]').forEach(function (el) {
      var event = el.getAttribute('data-liveui-event'), payload = null;
      try { payload = JSON.parse(el.getAttribute('data-liveui-payload') || 'null'); } catch (e) {}
      el.remove();
      (handlers[event] || []).slice().forEach(function (h) {
        try { h.fn.call(h.instance, payload); } catch (err) { if (window.console) { console.error(err); } }
      });
      document.dispatchEvent(new CustomEvent('liveui:event', { detail: { event: event, payload: payload } }));
    });
  }

  var sink = null, pending = false;
  function start() {
    sink = document.getElementById('liveui-events');
    if (!sink) {
      sink = document.createElement('div');
      sink.id = 'liveui-events';
      sink.hidden = true;
      document.body.appendChild(sink);
    }
    sync();
    // Patches replace, insert and delete elements: one pass per burst of DOM changes.
    new MutationObserver(function () {
      if (pending) { return; }
      pending = true;
      queueMicrotask(function () {
        pending = false;
        sync();
        var current = document.getElementById('liveui-events');
        if (current) { deliver(current); }
      });
    }).observe(document.body, { childList: true, subtree: true });
  }
  liveui.syncHooks = sync;
  /* After every deferred script (the app's hooks file too) has run: DOMContentLoaded, or at
     once when the page is already complete. */
  var started = false;
  function once() { if (!started) { started = true; start(); } }
  if (document.readyState === 'complete') { once(); } else {
    document.addEventListener('DOMContentLoaded', once);
    window.addEventListener('load', once);
  }
})();
