/* The demo's client hooks (liveui-hooks.js, docs/hooks.md), loaded as a file: the page's CSP
   allows no inline script.

   CopyText: a ticket row's Copy button copies the ticket's number and subject, tells its live
   component ("copied"), and shows "Copied" when the server answers that tab (push_event). */
(function () {
  'use strict';
  var liveui = window.liveui;
  if (!liveui || !liveui.hooks) { return; }

  function bind(hook) {
    // A patch replaces the row, so the listener goes on each new element (updated).
    hook.el.addEventListener('click', function () {
      var text = hook.el.getAttribute('data-copy') || '';
      var copied = navigator.clipboard && navigator.clipboard.writeText
        ? navigator.clipboard.writeText(text) : Promise.reject(new Error('no clipboard'));
      copied.catch(function () {}).then(function () {
        hook.pushEvent('copied', { ticket: Number(hook.el.getAttribute('data-ticket')) });
      });
    });
  }

  liveui.hooks.CopyText = {
    mounted: function () {
      var hook = this;
      bind(hook);
      hook.handleEvent('copied', function (payload) {
        if (String(payload.ticket) !== hook.el.getAttribute('data-ticket')) { return; }
        hook.el.textContent = 'Copied';
        hook.el.setAttribute('data-copied', '');
        hook.el.title = payload.message;
      });
    },
    updated: function () { bind(this); }
  };
})();
