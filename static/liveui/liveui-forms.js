/* liveui live forms (docs/forms.md): checks fields on the server while they change, shows the
   loading state and upload progress while a submit runs, clears the form after a success.
   A form made live by {{ live_form(name) }} is posted by htmx itself (files included); this file
   adds what htmx does not do. Loaded after liveui.js; it needs window.liveui. */
(function () {
  'use strict';
  var liveui = window.liveui;
  if (!liveui || !window.htmx) { return; }
  var cfg = liveui.config;
  var DEBOUNCE = 250;
  var state = new WeakMap();  // form -> {touched: {name: true}, seq, timer}

  function formOf(el) { return el && el.closest ? el.closest('form[data-liveui-form]') : null; }
  function stateOf(form) {
    var s = state.get(form);
    if (!s) { s = { touched: {}, quiet: {}, seq: 0, timer: null }; state.set(form, s); }
    return s;
  }
  function endpoint(form, phase) {
    return cfg.root + cfg.prefix + '/form?form=' + encodeURIComponent(form.getAttribute('data-liveui-form')) +
      '&phase=' + phase;
  }

  /* Field messages are swapped in out of band; mark the inputs they speak of. */
  function markInvalid(form) {
    form.querySelectorAll('[data-error-for]').forEach(function (p) {
      var bad = !p.hidden && p.textContent.trim() !== '';
      form.querySelectorAll('[name="' + p.getAttribute('data-error-for') + '"]').forEach(function (input) {
        if (bad) { input.setAttribute('aria-invalid', 'true'); } else { input.removeAttribute('aria-invalid'); }
        if (p.id) { input.setAttribute('aria-describedby', p.id); }
      });
    });
  }

  /* A change check sends the text fields, the names touched so far and what the browser says
     about the chosen files (never their bytes); only the newest answer is applied. */
  function validate(form) {
    var s = stateOf(form), seq = ++s.seq;
    var body = new URLSearchParams(), files = {};
    new FormData(form).forEach(function (value, name) {
      if (typeof value === 'string') { body.append(name, value); }
    });
    form.querySelectorAll('input[type=file][name]').forEach(function (input) {
      files[input.name] = Array.prototype.map.call(input.files || [], function (f) {
        return { name: f.name, size: f.size, type: f.type };
      });
    });
    body.append('liveui_touched', Object.keys(s.touched).join(','));
    body.append('liveui_files', JSON.stringify(files));
    fetch(endpoint(form, 'validate'), {
      method: 'POST', body: body, credentials: 'same-origin',
      headers: { 'X-LiveUI-Token': cfg.token }
    }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
      if (html === null || seq !== s.seq || !form.isConnected) { return; }
      htmx.swap(form, html, { swapStyle: 'none', swapDelay: 0, settleDelay: 0 }, { contextElement: form });
      markInvalid(form);
    }, function () {});
  }
  function touch(el, now) {
    var form = formOf(el);
    if (!form || !el.name || el.type === 'hidden' || el.type === 'submit') { return; }
    var s = stateOf(form);
    s.touched[el.name] = true;
    clearTimeout(s.timer);
    if (now) { validate(form); } else { s.timer = setTimeout(function () { validate(form); }, DEBOUNCE); }
  }
  document.addEventListener('input', function (e) {
    var form = formOf(e.target);
    if (form) { delete stateOf(form).quiet[e.target.name]; }
    if (e.target.type !== 'file') { touch(e.target, false); }
  });
  document.addEventListener('change', function (e) {
    if (e.target.type === 'file') { touch(e.target, true); }
  });
  // Leaving a field checks it at once (an empty required field says so) — except a field the
  // form just emptied after a success, until the person types in it again.
  document.addEventListener('focusout', function (e) {
    var el = e.target, form = formOf(el);
    if (!form || !el.name || el.type === 'file') { return; }
    if (!el.value && stateOf(form).quiet[el.name]) { return; }
    touch(el, true);
  });

  /* Loading state: the form carries liveui-submitting and its submit buttons are disabled (with
     data-disable-with as their label) while the submit runs; htmx drops a second submit. */
  function submitting(form, on) {
    form.classList.toggle('liveui-submitting', on);
    form.setAttribute('aria-busy', on ? 'true' : 'false');
    form.querySelectorAll('button[type=submit], button:not([type]), input[type=submit]').forEach(function (b) {
      b.disabled = on;
      var label = b.getAttribute('data-disable-with');
      if (!label) { return; }
      if (on) { b.setAttribute('data-liveui-label', b.textContent); b.textContent = label; }
      else if (b.hasAttribute('data-liveui-label')) { b.textContent = b.getAttribute('data-liveui-label'); b.removeAttribute('data-liveui-label'); }
    });
    form.querySelectorAll('[data-liveui-cancel]').forEach(function (b) { b.hidden = !on; });
    form.querySelectorAll('progress[data-liveui-progress]').forEach(function (p) {
      p.hidden = !on;
      if (on) { p.value = 0; p.max = 100; }  // after: it keeps showing how far the last one got
    });
  }
  function isSubmit(e) {
    var elt = (e.detail && e.detail.elt) || e.target;  // htmx:xhr:* events carry no elt
    return elt && elt.matches && elt.matches('form[data-liveui-form]') ? elt : null;
  }
  document.addEventListener('htmx:beforeRequest', function (e) {
    var form = isSubmit(e);
    if (form) { stateOf(form).seq++; submitting(form, true); }  // drop change checks in flight
  });
  document.addEventListener('htmx:xhr:progress', function (e) {
    var form = isSubmit(e), d = e.detail;
    if (!form || !d.lengthComputable || !d.total) { return; }
    form.querySelectorAll('progress[data-liveui-progress]').forEach(function (p) {
      p.value = Math.round(100 * d.loaded / d.total);
    });
  });
  /* A refused submit (422 field errors, 413 too large, 429) still carries the messages. */
  document.addEventListener('htmx:beforeSwap', function (e) {
    var form = isSubmit(e), d = e.detail;
    if (form && d.xhr && d.xhr.status >= 400 && (d.serverResponse || '').indexOf('data-error-for') >= 0) {
      d.shouldSwap = true;
      d.isError = false;
    }
  });
  document.addEventListener('htmx:afterRequest', function (e) {
    var form = isSubmit(e);
    if (!form) { return; }
    submitting(form, false);
    var xhr = e.detail.xhr;
    if (xhr && xhr.getResponseHeader('X-LiveUI-Form') === 'ok') {
      var s = stateOf(form);
      s.touched = {};
      s.seq++;
      form.reset();
      form.querySelectorAll('[name]').forEach(function (input) { s.quiet[input.name] = true; });
      form.dispatchEvent(new CustomEvent('liveui:form-ok', { bubbles: true }));
    }
    markInvalid(form);
  });
  /* A [data-liveui-cancel] button (shown only while a submit runs) aborts it: the server
     deletes what it had received of the upload, and the form keeps what was typed. */
  document.addEventListener('click', function (e) {
    var button = e.target.closest && e.target.closest('[data-liveui-cancel]');
    var form = formOf(button);
    if (!button || !form) { return; }
    e.preventDefault();
    htmx.trigger(form, 'htmx:abort');
  });
  liveui.forms = { validate: validate };
})();
