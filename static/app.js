/* reloop · progressive enhancement
   Every page works without this file. No dependencies, no build step, no inline
   script or style (the Content-Security-Policy forbids both): behaviour only
   toggles attributes and classes. */
(function () {
  'use strict';

  var doc = document;
  var RESUBMIT_GUARD_MS = 8000;

  function closest(el, selector) {
    while (el && el.nodeType === 1) {
      if (el.matches && el.matches(selector)) { return el; }
      el = el.parentNode;
    }
    return null;
  }

  function isEditable(el) {
    if (!el || el.nodeType !== 1) { return false; }
    if (el.isContentEditable) { return true; }
    var tag = el.tagName;
    return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
  }

  /* 1. "/" focuses the scan box (any element marked data-hotkey="/") ---------- */
  doc.addEventListener('keydown', function (e) {
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || e.isComposing) { return; }
    if (isEditable(e.target) || isEditable(doc.activeElement)) { return; }
    var target = doc.querySelector('[data-hotkey="/"]');
    if (!target || target.disabled) { return; }
    e.preventDefault();
    target.focus();
    if (typeof target.select === 'function') { target.select(); }
  });

  /* Escape leaves the scan box, so "/" works again right away. */
  doc.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && e.target && e.target.matches && e.target.matches('[data-hotkey="/"]')) {
      e.target.blur();
    }
  });

  /* 2. Filters submit on Enter or their button only: a select never submits on change
     (an arrow key in it must not reload the page; WCAG 3.2.2). */

  /* 3. Guard against double submissions of POST forms -------------------------- */
  function buttonsOf(form) {
    return Array.prototype.slice.call(form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]'));
  }

  function release(form) {
    if (!form.classList.contains('is-submitting')) { return; }
    form.classList.remove('is-submitting');
    form.removeAttribute('aria-busy');
    buttonsOf(form).forEach(function (b) {
      if (b.hasAttribute('data-guarded')) {
        b.disabled = false;
        b.removeAttribute('data-guarded');
      }
    });
  }

  doc.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form || form.tagName !== 'FORM' || e.defaultPrevented) { return; }
    // Only POST forms change data. A GET form (filters, scan) may be sent again:
    // the newer navigation simply replaces the older one.
    if ((form.getAttribute('method') || 'get').toLowerCase() !== 'post') { return; }
    if (form.classList.contains('is-submitting')) {
      e.preventDefault();     // second click or Enter while the first is in flight
      return;
    }
    form.classList.add('is-submitting');
    form.setAttribute('aria-busy', 'true');
    // Disable on the next tick: a disabled submitter would drop its name=value
    // (e.g. next=another) from the submission being built right now.
    window.setTimeout(function () {
      buttonsOf(form).forEach(function (b) {
        if (!b.disabled) {
          b.disabled = true;
          b.setAttribute('data-guarded', '');
        }
      });
    }, 0);
    // Only briefly: a download, a slow network or a cancelled navigation must
    // not leave the form dead.
    window.setTimeout(function () { release(form); }, RESUBMIT_GUARD_MS);
  });

  /* Back/forward cache restores the page as it was left: re-enable everything. */
  window.addEventListener('pageshow', function () {
    Array.prototype.forEach.call(doc.querySelectorAll('form.is-submitting'), release);
  });

  /* 4. Dismissible flash message ------------------------------------------------ */
  function dismiss(flash) {
    flash.classList.add('is-hidden');
    var main = closest(flash, 'main');
    if (doc.activeElement === null || doc.activeElement === doc.body || closest(doc.activeElement, '.flash')) {
      if (main) {
        if (!main.hasAttribute('tabindex')) { main.setAttribute('tabindex', '-1'); }
        main.focus({ preventScroll: true });
      }
    }
  }

  function setupFlash() {
    Array.prototype.forEach.call(doc.querySelectorAll('.flash'), function (flash) {
      if (flash.classList.contains('is-dismissible')) { return; }
      flash.classList.add('is-dismissible');
      flash.setAttribute('title', 'Click to dismiss');
      var close = doc.createElement('button');
      close.type = 'button';
      close.className = 'flash-close';
      close.setAttribute('aria-label', 'Dismiss message');
      close.textContent = '\u00d7';
      flash.appendChild(close);
      flash.addEventListener('click', function (e) {
        // Let links inside the message work; any other click dismisses it.
        if (closest(e.target, 'a') && !closest(e.target, '.flash-close')) { return; }
        dismiss(flash);
      });
    });
  }

  /* 5. Times in the reader's zone: every <time data-local datetime="…Z"> (UTC on the
     server, "2026-12-07 22:15 UTC") is shown in local time with the zone's abbreviation;
     the UTC text stays as its title. */
  function pad(n) { return (n < 10 ? '0' : '') + n; }

  function zoneOf(d) {
    try {
      var parts = new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' }).formatToParts(d);
      for (var i = 0; i < parts.length; i++) {
        if (parts[i].type === 'timeZoneName') { return parts[i].value; }
      }
    } catch (e) { /* no Intl: keep UTC */ }
    return null;
  }

  function localTimes() {
    Array.prototype.forEach.call(doc.querySelectorAll('time[data-local][datetime]'), function (el) {
      if (el.hasAttribute('data-localised')) { return; }
      var d = new Date(el.getAttribute('datetime'));
      var zone = zoneOf(d);
      if (isNaN(d.getTime()) || !zone) { return; }
      el.setAttribute('title', el.textContent);
      el.textContent = d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
        pad(d.getHours()) + ':' + pad(d.getMinutes()) + ' ' + zone;
      el.setAttribute('data-localised', '');
    });
  }

  /* 6. Label selection: a [data-select-all] box (hidden without this script) ticks or
     clears every row's box named "ids" in its form, and shows whether all are ticked. */
  function setupSelectAll() {
    Array.prototype.forEach.call(doc.querySelectorAll('input[data-select-all]'), function (all) {
      var form = all.form || closest(all, 'form');
      if (!form) { return; }
      function boxes() {
        return Array.prototype.slice.call(form.querySelectorAll('input[type="checkbox"][name="ids"]'));
      }
      function sync() {
        var b = boxes();
        var ticked = b.filter(function (x) { return x.checked; }).length;
        all.checked = ticked > 0 && ticked === b.length;
        all.indeterminate = ticked > 0 && ticked < b.length;
      }
      all.hidden = false;
      // A box in its own label (the list's selection bar) shows the label too.
      var label = closest(all, 'label');
      if (label) { label.hidden = false; }
      all.addEventListener('change', function () {
        boxes().forEach(function (x) { x.checked = all.checked; });
        all.indeterminate = false;
      });
      form.addEventListener('change', function (e) {
        if (e.target !== all && e.target.name === 'ids') { sync(); }
      });
      window.addEventListener('pageshow', sync);
      sync();
    });
  }

  /* 7. [data-print] buttons (hidden without this script) open the print dialog. */
  function setupPrint() {
    Array.prototype.forEach.call(doc.querySelectorAll('[data-print]'), function (button) {
      button.hidden = false;
      button.addEventListener('click', function () { window.print(); });
    });
  }

  /* 8. The harvest bench (form[data-bench]): keyboard only, no reload between parts.
     Enter in the serial field picks the part the scan names (its row is marked and the
     test result takes focus); Enter in any other field saves. The form is posted in the
     background and the page's main region is swapped for the answer (the sheet with the
     part recorded, or the form with its error), then focus returns to the serial field.
     Without this script the form posts and redirects like any other. */
  function benchRowFor(code) {
    var key = (code || '').trim().toLowerCase();
    if (!key) { return null; }
    var rows = doc.querySelectorAll('tr[data-codes]');
    for (var i = 0; i < rows.length; i++) {
      var codes = ' ' + rows[i].getAttribute('data-codes') + ' ';
      if (codes.indexOf(' ' + key + ' ') >= 0) { return rows[i]; }
    }
    return null;
  }

  function benchFocus() {
    var form = doc.querySelector('form[data-bench]');
    if (!form) { return; }
    var target = form.querySelector('[autofocus]') || form.querySelector('[data-bench-code]');
    if (target) { target.focus(); }
  }

  function benchPick(form, field) {
    var row = benchRowFor(field.value);
    var key = field.value.trim().toLowerCase();
    if (!row || form.getAttribute('data-picked') === key) { return false; }
    Array.prototype.forEach.call(doc.querySelectorAll('tr.picked'), function (r) { r.classList.remove('picked'); });
    row.classList.add('picked');
    form.setAttribute('data-picked', key);
    var cells = row.querySelectorAll('td');
    var said = doc.getElementById('bench-selected');
    if (said && cells.length > 6) {
      said.textContent = 'Selected: ' + cells[1].textContent.trim() + ' · ' + cells[2].textContent.trim() +
        (cells[3].textContent.trim() ? ' · ' + cells[3].textContent.trim() : '') + ' · ' + cells[6].textContent.trim();
    }
    var next = form.querySelector('select[name="test_result"]');
    if (next) { next.focus(); }
    return true;
  }

  doc.addEventListener('keydown', function (e) {
    if (e.key !== 'Enter' || e.isComposing || e.defaultPrevented) { return; }
    var t = e.target;
    var form = t && t.form;
    if (!form || !form.hasAttribute('data-bench')) { return; }
    if (t.tagName === 'BUTTON' || t.tagName === 'TEXTAREA') { return; }
    e.preventDefault();
    if (t.hasAttribute('data-bench-code') && benchPick(form, t)) { return; }
    if (typeof form.requestSubmit === 'function') { form.requestSubmit(); } else { form.submit(); }
  });

  doc.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form || !form.hasAttribute || !form.hasAttribute('data-bench') || !window.fetch || !window.DOMParser) { return; }
    e.preventDefault();   // the double-submit guard (3) leaves prevented submissions alone
    if (form.getAttribute('data-busy') === '1') { return; }
    form.setAttribute('data-busy', '1');
    form.setAttribute('aria-busy', 'true');
    var body = new URLSearchParams(new FormData(form));
    fetch(form.action, { method: 'POST', body: body, credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('main');
        var main = doc.querySelector('main');
        if (!fresh || !main) { window.location.reload(); return; }
        main.replaceWith(doc.importNode(fresh, true));
        setupFlash();
        localTimes();
        benchFocus();
      })
      .catch(function () {
        form.removeAttribute('data-busy');
        form.submit();      // the network failed: fall back to an ordinary post
      });
  }, true);

  // Buttons with data-confirm ask before their form is sent (irreversible actions).
  doc.addEventListener('click', function (ev) {
    var b = ev.target && ev.target.closest ? ev.target.closest('button[data-confirm]') : null;
    if (b && !window.confirm(b.getAttribute('data-confirm'))) {
      ev.preventDefault();
    }
  }, true);

  /* 9. A table's scroll box that scrolls sideways (a phone, a wide table) takes keyboard
     focus, named after its table's heading, so arrow keys can scroll it (WCAG 2.1.1). */
  function scrollBoxes() {
    Array.prototype.forEach.call(doc.querySelectorAll('.table-wrap'), function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute('tabindex')) {
        var section = closest(box, 'section, main');
        var heading = section ? section.querySelector('h1, h2, h3') : null;
        var caption = box.querySelector('caption');
        box.setAttribute('tabindex', '0');
        box.setAttribute('role', 'region');
        box.setAttribute('aria-label', ((caption || heading) ? (caption || heading).textContent.trim() : 'Table') + ' (scrolls sideways)');
        box.setAttribute('data-scroll-focus', '');
      } else if (!scrolls && box.hasAttribute('data-scroll-focus')) {
        box.removeAttribute('tabindex');
        box.removeAttribute('role');
        box.removeAttribute('aria-label');
        box.removeAttribute('data-scroll-focus');
      }
    });
  }
  window.addEventListener('resize', scrollBoxes);

  function ready() {
    setupFlash();
    localTimes();
    scrollBoxes();
    setupSelectAll();
    setupPrint();
  }

  if (doc.readyState === 'loading') {
    doc.addEventListener('DOMContentLoaded', ready);
  } else {
    ready();
  }
})();
