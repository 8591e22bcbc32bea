/**
 * @module The status page's script, sent inline: reads the event stream with
 * fetch (so the token travels in the Authorization header, never in a URL),
 * renders each snapshot with DOM calls only (text never becomes markup),
 * asks for the token on a 401 and keeps it in sessionStorage, filters hosts
 * and opens a host's explain text on demand.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var KEY = 'haproxy-operator-token';
  var openHosts = new Set();
  var explainText = new Map();
  var last = null;
  var retryTimer = null;
  var $ = function (id) { return document.getElementById(id); };

  function authHeaders() {
    var t = sessionStorage.getItem(KEY);
    return t ? { authorization: 'Bearer ' + t } : {};
  }

  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) for (var k in props) {
      if (k === 'text') node.textContent = props[k];
      else if (k === 'cls') node.className = props[k];
      else node.setAttribute(k, props[k]);
    }
    (children || []).forEach(function (c) { if (c != null) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return node;
  }
  function badge(text, cls) { return el('span', { cls: 'badge ' + cls, text: text }); }
  function replace(id, nodes) { var box = $(id); box.replaceChildren.apply(box, nodes); }
  function when(iso) { return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—'; }
  function uptime(s) {
    if (s == null) return '—';
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return (d ? d + 'd ' : '') + (d || h ? h + 'h ' : '') + m + 'm';
  }

  function healthClass(h) {
    if (/^UP|^no check/.test(h)) return 'ok';
    if (/^DOWN/.test(h)) return 'bad';
    if (/^(MAINT|DRAIN|NOLB)/.test(h)) return 'warn';
    return 'off';
  }
  var STATE_CLASS = { ready: 'ok', drain: 'warn', maint: 'warn', stopped: 'off', disabled: 'off', invalid: 'bad', rejected: 'bad' };
  function renewalClass(r) { return r === 'ok' ? 'ok' : /fail|expired/.test(r) ? 'bad' : r === 'not managed' ? 'off' : 'warn'; }

  function table(headers, rows) {
    return el('table', { cls: 'cards' }, [
      el('thead', null, [el('tr', null, headers.map(function (h) { return el('th', { text: h }); }))]),
      el('tbody', null, rows.map(function (cells) {
        return el('tr', null, cells.map(function (c, i) {
          var td = el('td', { 'data-label': headers[i] });
          (Array.isArray(c) ? c : [c]).forEach(function (x) { if (x != null) td.appendChild(typeof x === 'string' ? document.createTextNode(x) : x); });
          return td;
        }));
      })),
    ]);
  }
  function fact(label, nodes) { return el('div', null, [el('span', { cls: 'muted', text: label + ': ' })].concat(nodes)); }

  function renderOverview(s) {
    var h = s.haproxy, p = s.podman, facts = [];
    if (h.error) facts.push(fact('HAProxy', [badge('unreachable', 'bad'), ' ' + h.error]));
    else {
      facts.push(fact('HAProxy', [badge('running', 'ok'), ' ' + h.version]));
      facts.push(fact('PID', [String(h.pid)]));
      facts.push(fact('Uptime', [uptime(h.uptimeSec)]));
      facts.push(fact('QUIC (HTTP/3)', [h.quic === undefined ? badge('unknown', 'off') : h.quic ? badge('yes', 'ok') : badge('no', 'off')]));
    }
    if (!p.enabled) facts.push(fact('Podman', [badge('not watched', 'off')]));
    else {
      facts.push(fact('Podman', [p.connected ? badge('connected', 'ok') : badge('disconnected', 'bad'), p.socket ? ' ' + p.socket : '']));
      facts.push(fact('Podman events log', [p.eventsLog ? badge('followed', 'ok') : badge('not followed: API stream alone', 'off'), p.eventsLog ? ' ' + p.eventsLog : '']));
      facts.push(fact('Containers watched', [String(p.watched)]));
      facts.push(fact('Last container sync', [when(p.lastSyncAt)].concat(p.lastSyncError ? [' ', badge('error', 'bad'), ' ' + p.lastSyncError] : [])));
    }
    facts.push(fact('Last reconcile', [when(s.lastReconcileAt)]));
    replace('facts', facts);
  }

  function explainBox(host) {
    var pre = el('pre', { text: explainText.get(host) || 'loading…' });
    var det = el('details', { 'data-host': host }, [el('summary', { text: 'explain' }), pre]);
    if (openHosts.has(host)) { det.open = true; loadExplain(host, pre); }
    // A re-rendered box opened above also fires toggle: only a newly opened host is fetched here.
    det.addEventListener('toggle', function () {
      if (!det.open) openHosts.delete(host);
      else if (!openHosts.has(host)) { openHosts.add(host); loadExplain(host, pre); }
    });
    return det;
  }
  function loadExplain(host, pre) {
    fetch('/status/explain?host=' + encodeURIComponent(host), { headers: authHeaders(), cache: 'no-store' })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (r) {
        var text = r.ok ? r.body.text : 'error: ' + r.body.error;
        explainText.set(host, text);
        pre.textContent = text;
      })
      .catch(function (e) { pre.textContent = 'error: ' + e.message; });
  }

  function renderHosts(s) {
    var q = $('filter').value.trim().toLowerCase();
    var shown = s.hosts.filter(function (h) { return !q || h.host.indexOf(q) !== -1 || h.source.toLowerCase().indexOf(q) !== -1; });
    var nodes = shown.map(function (h) {
      var rows = h.servers.map(function (v) {
        return [v.name, v.family, String(v.slot), el('span', { cls: 'addr', text: v.address + ':' + v.port }),
          v.effectiveWeight === v.weight ? String(v.weight) : v.effectiveWeight + ' (source ' + v.weight + ')',
          badge(v.effectiveState, STATE_CLASS[v.effectiveState] || 'off'),
          [badge(v.health, healthClass(v.health)), v.checkStatus ? ' ' + v.checkStatus : ''],
          v.source, v.override || '—'];
      });
      return el('div', { cls: 'host', 'data-host': h.host }, [
        el('div', { cls: 'host-head' }, [
          el('span', { cls: 'host-name', text: h.host }),
          h.wouldServe ? badge('serving', 'ok') : badge('503', 'bad'),
          el('span', { cls: 'muted', text: 'pool ' + h.pool + ' (' + h.backend + ') · ' + h.source }),
        ]),
        h.problems.length ? el('ul', { cls: 'problems' }, h.problems.map(function (p) { return el('li', { text: p }); })) : null,
        rows.length ? el('div', { cls: 'scroll' }, [table(['Server', 'Family', 'Slot', 'Address', 'Weight', 'State', 'HAProxy health', 'Source', 'Override'], rows)]) : el('p', { cls: 'muted', text: 'no servers' }),
        explainBox(h.host),
      ]);
    });
    if (!s.hosts.length) nodes = [el('p', { cls: 'muted', text: 'No routed hosts yet.' })];
    else if (!shown.length) nodes = [el('p', { cls: 'muted', text: 'No host matches the filter.' })];
    replace('host-list', nodes);
    var failing = s.hosts.filter(function (h) { return !h.wouldServe; });
    replace('failing-list', failing.length ? failing.map(function (h) {
      return el('div', { cls: 'host' }, [el('span', { cls: 'host-name', text: h.host + ' ' }), badge('503', 'bad'),
        el('ul', { cls: 'problems' }, h.problems.map(function (p) { return el('li', { text: p }); }))]);
    }) : [el('p', { cls: 'muted', text: 'None: every routed host has a server up.' })]);
  }

  function renderContainers(s) {
    if (!s.podman.enabled) return replace('container-list', [el('p', { cls: 'muted', text: 'Container discovery is off.' })]);
    if (!s.containers.length) return replace('container-list', [el('p', { cls: 'muted', text: 'No labelled containers.' })]);
    replace('container-list', [table(['Container', 'Podman', 'State', 'Domains', 'Servers', 'Why'], s.containers.map(function (c) {
      var why = c.errors.length ? el('ul', { cls: 'problems' }, c.errors.map(function (e) { return el('li', { text: e }); })) : c.reason;
      return [c.name, c.status, badge(c.state === 'ready' ? 'routed' : c.state, STATE_CLASS[c.state] || 'off'), c.domains.join(', ') || '—', c.servers.join('; ') || '—', why];
    }))]);
  }

  function renderCerts(s) {
    var nodes = [];
    if (s.certificatesError) nodes.push(el('p', { cls: 'error', text: s.certificatesError }));
    if (!s.certificates.length) nodes.push(el('p', { cls: 'muted', text: 'No certificates.' }));
    else nodes.push(table(['Name', 'Names', 'Issuer', 'Not after', 'Days left', 'Renewal', 'Last error'], s.certificates.map(function (c) {
      var days = c.daysLeft == null ? '—' : badge(String(c.daysLeft), c.daysLeft < 0 ? 'bad' : c.daysLeft < 14 ? 'warn' : 'ok');
      return [c.name, c.domains.join(', '), c.issuer || '—', when(c.notAfter), days, badge(c.renewal, renewalClass(c.renewal)), c.lastError || '—'];
    })));
    replace('cert-list', nodes);
  }

  function renderAudit(s) {
    var nodes = [];
    if (s.auditError) nodes.push(el('p', { cls: 'error', text: s.auditError }));
    if (!s.audit.length) nodes.push(el('p', { cls: 'muted', text: 'No changes recorded.' }));
    else nodes.push(table(['Time', 'Change', 'Caller', 'Outcome', 'Arguments'], s.audit.map(function (a) {
      return [when(a.time), a.tool + (a.dryRun ? ' (dry run)' : ''), a.caller, [badge(a.outcome, a.outcome === 'ok' ? 'ok' : 'bad'), a.error ? ' ' + a.error : ''], el('code', { text: a.args })];
    })));
    replace('audit-list', nodes);
  }

  function render(s) {
    last = s;
    renderOverview(s); renderHosts(s); renderContainers(s); renderCerts(s); renderAudit(s);
    $('updated').textContent = 'updated ' + when(s.generatedAt);
  }

  function setLive(text, cls) { var b = $('live'); b.textContent = text; b.className = 'badge ' + cls; }

  function needToken(invalid) {
    if (invalid) sessionStorage.removeItem(KEY);
    $('token-form').classList.add('shown');
    $('token-error').textContent = invalid ? 'That token was refused.' : '';
    setLive('token required', 'warn');
    $('token-input').focus();
  }

  function retry() { clearTimeout(retryTimer); retryTimer = setTimeout(connect, 2000); }

  function connect() {
    var hadToken = !!sessionStorage.getItem(KEY);
    fetch('/status/events', { headers: authHeaders(), cache: 'no-store' }).then(function (res) {
      if (res.status === 401) return needToken(hadToken);
      if (!res.ok || !res.body) { setLive('error ' + res.status, 'bad'); return retry(); }
      $('token-form').classList.remove('shown');
      var reader = res.body.getReader(), decoder = new TextDecoder(), buf = '';
      function pump() {
        return reader.read().then(function (r) {
          if (r.done) { setLive('disconnected', 'bad'); return retry(); }
          buf += decoder.decode(r.value, { stream: true });
          var at;
          while ((at = buf.indexOf('\n\n')) !== -1) {
            var block = buf.slice(0, at); buf = buf.slice(at + 2);
            var event = 'message', data = [];
            block.split('\n').forEach(function (line) {
              if (line.indexOf('event:') === 0) event = line.slice(6).trim();
              else if (line.indexOf('data:') === 0) data.push(line.slice(5).replace(/^ /, ''));
            });
            if (event === 'snapshot' && data.length) { render(JSON.parse(data.join('\n'))); setLive('live', 'ok'); }
          }
          return pump();
        });
      }
      return pump();
    }).catch(function () { setLive('disconnected', 'bad'); retry(); });
  }

  $('token').addEventListener('submit', function (e) {
    e.preventDefault();
    var t = $('token-input').value.trim();
    if (!t) return;
    sessionStorage.setItem(KEY, t);
    $('token-input').value = '';
    connect();
  });
  $('filter').addEventListener('input', function () { if (last) renderHosts(last); });
  connect();
})();
`;
