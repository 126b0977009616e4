/* global BpmnJS, document, window, location, fetch, URLSearchParams, setTimeout, clearTimeout */
// The ops page: draws the deployed BPMN with bpmn-js and puts on each element what
// waits there now, how long completed visits took (p50/p95), job failures and open
// incidents (in red). Lists the incidents with a Retry, finds an order's path, and
// refreshes itself. Reads only /ops/api/* (the browser sends the Basic credentials
// it was asked for). Text goes in through textContent only: error messages and
// element names come from outside and must never become markup.
(() => {
  'use strict';

  const params = new URLSearchParams(location.search);
  // ?refresh=<seconds> for a wall screen or a test; 5 s otherwise.
  const REFRESH_SECONDS = Math.min(300, Math.max(1, Number(params.get('refresh')) || 5));
  const $ = (id) => document.getElementById(id);

  const viewer = new BpmnJS({ container: $('canvas') });
  const state = {
    key: params.get('version') || null,
    importedKey: null,
    orderId: null,
    marked: { incident: [], path: [], current: [] },
    refreshing: false,
    again: false,
    refreshes: 0,
    timer: undefined,
  };

  // ---- small helpers --------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null) continue;
      if (name === 'class') node.className = value;
      else if (name === 'text') node.textContent = String(value);
      else if (name.includes('-')) node.setAttribute(name, String(value));
      else node[name] = value;
    }
    for (const child of children) if (child !== undefined && child !== null) node.append(child);
    return node;
  }

  const pad = (n, w = 2) => String(n).padStart(w, '0');
  function clock(iso) {
    const d = new Date(iso);
    const today = new Date().toDateString() === d.toDateString();
    const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} `;
    return `${today ? '' : day}${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }
  function timeEl(iso) {
    return el('time', { dateTime: iso, text: clock(iso), title: iso });
  }
  function duration(ms) {
    if (ms === null || ms === undefined) return '–';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
    if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
    return `${(ms / 3_600_000).toFixed(1)} h`;
  }
  function plural(n, one, many) {
    return `${n} ${n === 1 ? one : many}`;
  }

  function problemText(body, status) {
    if (body && Array.isArray(body.errors) && body.errors.length > 0) return body.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    if (body && body.detail) return body.detail;
    return `HTTP ${status}`;
  }

  async function api(path, init) {
    const res = await fetch(path, {
      credentials: 'same-origin',
      ...init,
      headers: { accept: 'application/json', ...(init && init.body ? { 'content-type': 'application/json' } : {}) },
    });
    const text = await res.text();
    let body;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const err = new Error(problemText(body, res.status));
      err.status = res.status;
      throw err;
    }
    return body;
  }

  /** Every item of a list of the API (`field` of each page), following nextCursor 100 at a time. */
  async function allOf(path, field) {
    const items = [];
    let cursor = null;
    do {
      const page = await api(`${path}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      items.push(...page[field]);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  function say(text, kind) {
    const m = $('message');
    m.textContent = text;
    m.className = `message ${kind || 'info'}`;
    m.hidden = false;
  }

  function elementName(elementId) {
    const shape = state.importedKey ? viewer.get('elementRegistry').get(elementId) : undefined;
    const name = shape && shape.businessObject && shape.businessObject.name;
    return name ? name.replace(/\s+/g, ' ').trim() : elementId;
  }

  // ---- versions and the diagram ---------------------------------------------

  function renderPicker(definitions) {
    const picker = $('version');
    const latest = new Map();
    for (const d of definitions) if (!latest.has(d.bpmnProcessId)) latest.set(d.bpmnProcessId, d.key);
    picker.replaceChildren(
      ...definitions.map((d) => {
        const active = (d.instances && d.instances.ACTIVE) || 0;
        const label = `${d.bpmnProcessId} v${d.version}${latest.get(d.bpmnProcessId) === d.key ? ' (latest)' : ''} — ${active} running`;
        return el('option', { value: d.key, text: label, selected: d.key === state.key });
      }),
    );
    if (!state.key || !definitions.some((d) => d.key === state.key)) {
      state.key = definitions.length > 0 ? latest.get(definitions[0].bpmnProcessId) : null;
      picker.value = state.key || '';
    }
  }

  async function importDiagram(key) {
    const def = await api(`/ops/api/definitions/${encodeURIComponent(key)}`);
    await viewer.importXML(def.xml);
    viewer.get('canvas').zoom('fit-viewport', 'auto');
    state.importedKey = key;
    state.marked = { incident: [], path: [], current: [] };
    document.body.dataset.version = String(def.version);
  }

  function mark(kind, ids, marker) {
    const canvas = viewer.get('canvas');
    for (const id of state.marked[kind]) canvas.removeMarker(id, marker);
    const registry = viewer.get('elementRegistry');
    state.marked[kind] = ids.filter((id) => registry.get(id));
    for (const id of state.marked[kind]) canvas.addMarker(id, marker);
  }

  function statsOverlay(e, shape) {
    const box = el('div', {
      class: 'ops-stats',
      'data-testid': 'element-stats',
      'data-element-id': e.elementId,
      'data-waiting': e.waiting,
      'data-completed': e.completed,
      'data-p50-ms': e.p50Ms === null ? '' : e.p50Ms,
      'data-p95-ms': e.p95Ms === null ? '' : e.p95Ms,
      'data-failures': e.jobFailures,
      'data-incidents-open': e.incidentsOpen,
    });
    box.style.width = `${shape.width}px`;
    box.style.height = `${shape.height}px`;
    const name = e.name || e.elementId;
    const facts = [
      `${name}: ${e.waiting} waiting now${e.oldestWaitingSince ? ` (oldest since ${clock(e.oldestWaitingSince)})` : ''}`,
      `${e.completed} completed${e.p50Ms !== null ? `, p50 ${duration(e.p50Ms)}, p95 ${duration(e.p95Ms)}` : ''}`,
      `${plural(e.jobFailures, 'job failure', 'job failures')}, ${e.incidentsOpen} open incidents (${e.incidentsTotal} ever)`,
    ];
    // The box lets clicks and drags through to the diagram; what is drawn on it carries the details.
    const title = facts.join('\n');
    if (e.waiting > 0) box.append(el('span', { class: 'ops-waiting', 'data-testid': 'waiting-badge', text: e.waiting, title }));
    if (e.incidentsOpen > 0) box.append(el('span', { class: 'ops-incident-badge', 'data-testid': 'incident-badge', text: e.incidentsOpen, title }));
    const line = [];
    // Times only where tokens wait (the API says where: api/ops-summary.ts); gateways, start/end and
    // throw events pass them on at once (see the tooltip).
    if (e.completed > 0 && e.p50Ms !== null && e.waitingPoint) {
      line.push(el('span', { class: 'ops-times', 'data-testid': 'times', text: `p50 ${duration(e.p50Ms)} · p95 ${duration(e.p95Ms)}` }));
      line.push(el('span', { class: 'ops-done', 'data-testid': 'done', text: `${e.completed}✓` }));
    }
    if (e.jobFailures > 0) line.push(el('span', { class: 'ops-failures', 'data-testid': 'failures', text: `${e.jobFailures}✗` }));
    if (line.length > 0) {
      // Out of the way of the element's own label and of boundary events on its lower edge.
      const labelBelow = shape.label && shape.label.y > shape.y + shape.height / 2;
      const attachedBelow = (shape.attachers || []).some((b) => b.y + b.height / 2 >= shape.y + shape.height - 1);
      const where = labelBelow ? 'above' : attachedBelow ? 'below-attachers' : 'below';
      box.append(el('div', { class: `ops-line ${where}`, title }, ...line));
    }
    return box;
  }

  function renderStats(stats) {
    const overlays = viewer.get('overlays');
    const registry = viewer.get('elementRegistry');
    overlays.remove({ type: 'ops-stats' });
    for (const e of stats.elements) {
      const shape = registry.get(e.elementId);
      if (!shape || shape.waypoints) continue;
      overlays.add(e.elementId, 'ops-stats', { position: { top: 0, left: 0 }, html: statsOverlay(e, shape) });
    }
    mark(
      'incident',
      stats.elements.filter((e) => e.incidentsOpen > 0).map((e) => e.elementId),
      'ops-incident',
    );

    const s = stats.summary;
    $('longest-wait').textContent = s.longestWait ? s.longestWait.name || s.longestWait.elementId : 'nothing completed yet';
    $('longest-wait').dataset.elementId = s.longestWait ? s.longestWait.elementId : '';
    $('longest-wait-detail').textContent = s.longestWait
      ? `p95 ${duration(s.longestWait.p95Ms)}, p50 ${duration(s.longestWait.p50Ms)} over ${plural(s.longestWait.completed, 'visit', 'visits')}`
      : '';
    $('most-failures').textContent = s.mostFailures ? s.mostFailures.name || s.mostFailures.elementId : 'no failures';
    $('most-failures').dataset.elementId = s.mostFailures ? s.mostFailures.elementId : '';
    $('most-failures-detail').textContent = s.mostFailures
      ? `${plural(s.mostFailures.jobFailures, 'job failure', 'job failures')}, ${plural(s.mostFailures.incidentsTotal, 'incident', 'incidents')} (${s.mostFailures.incidentsOpen} open)`
      : '';
    $('oldest-waiting').textContent = s.oldestWaiting ? s.oldestWaiting.name || s.oldestWaiting.elementId : 'nobody waits';
    $('oldest-waiting').dataset.elementId = s.oldestWaiting ? s.oldestWaiting.elementId : '';
    $('oldest-waiting-detail').textContent = s.oldestWaiting ? `since ${clock(s.oldestWaiting.since)}` : '';
    const counts = (stats.definition && stats.definition.instances) || {};
    $('instance-counts').textContent = `${counts.ACTIVE || 0} running · ${counts.COMPLETED || 0} completed · ${counts.TERMINATED || 0} cancelled`;
  }

  // ---- incidents ------------------------------------------------------------

  async function retry(incident, row) {
    const button = row.querySelector('button[data-testid="retry"]');
    const input = row.querySelector('input');
    const retries = Number(input.value);
    button.disabled = true;
    try {
      const answer = await api(`/ops/api/incidents/${encodeURIComponent(incident.key)}/retry`, { method: 'POST', body: JSON.stringify({ retries }) });
      say(
        `Incident ${incident.key} of order ${incident.orderId || '?'} retried: the job runs again with ${answer.retries === null ? 'its' : answer.retries} retries.`,
        'ok',
      );
    } catch (err) {
      say(
        err.status === 404 ? `Incident ${incident.key} is no longer open (already retried?).` : `Retry failed: ${err.message}`,
        err.status === 404 ? 'info' : 'error',
      );
      button.disabled = false;
    }
    await refresh();
  }

  function incidentRow(i) {
    const row = el('tr', { 'data-testid': 'incident-row', 'data-incident-key': i.key, 'data-order-id': i.orderId || '' });
    const orderCell = i.orderId
      ? el('button', {
          type: 'button',
          class: 'link',
          'data-testid': 'incident-order',
          text: i.orderId,
          title: "Show this order's path",
          onclick: () => search(i.orderId),
        })
      : el('span', { text: `process ${i.processInstanceKey}` });
    row.append(
      el('td', {}, orderCell),
      el('td', { 'data-testid': 'incident-element', 'data-element-id': i.elementId, text: elementName(i.elementId) }),
      el('td', {}, el('span', { class: 'err-type', text: i.errorType }), ' ', el('span', { 'data-testid': 'incident-error', text: i.errorMessage })),
      el('td', {}, timeEl(i.createdAt)),
      el(
        'td',
        { class: 'retry' },
        el('input', { type: 'number', min: 1, max: 100, value: 3, 'aria-label': 'retries', title: 'Retries the job gets', 'data-testid': 'retries' }),
        el('button', { type: 'button', 'data-testid': 'retry', text: 'Retry', onclick: () => retry(i, row) }),
      ),
    );
    return row;
  }

  function renderIncidents(incidents) {
    const body = $('incident-rows');
    const open = new Set(incidents.map((i) => i.key));
    // Rows stay as they are while open, so a retries value being typed survives a refresh.
    for (const row of [...body.children]) if (!open.has(row.dataset.incidentKey)) row.remove();
    const shown = new Set([...body.children].map((r) => r.dataset.incidentKey));
    for (const i of incidents) if (!shown.has(i.key)) body.append(incidentRow(i));
    $('incident-count').textContent = `(${incidents.length})`;
    $('no-incidents').hidden = incidents.length > 0;
    document.querySelector('table.incidents').hidden = incidents.length === 0;
  }

  // ---- one order's path -----------------------------------------------------

  const INTENTS = { ELEMENT_ACTIVATED: 'arrived', ELEMENT_COMPLETED: 'left', ELEMENT_TERMINATED: 'cancelled', JOB_FAILED: 'job failed' };

  function renderPath(path) {
    $('order-path').hidden = false;
    $('path-order-id').textContent = path.orderId;
    $('path-status').textContent = path.status;
    $('path-process').textContent = path.process
      ? `process ${path.processInstanceKey} (v${path.process.version}) ${path.process.state.toLowerCase()}; ${path.statusHistory.map((h) => `${h.to} ${clock(h.at)}`).join(' → ')}`
      : 'not picked up by a process yet';
    const arrived = new Map();
    const items = path.steps.map((s) => {
      if (s.intent === 'ELEMENT_ACTIVATED') arrived.set(s.elementInstanceKey, s.at);
      const since = s.intent === 'ELEMENT_COMPLETED' && arrived.has(s.elementInstanceKey) ? new Date(s.at) - new Date(arrived.get(s.elementInstanceKey)) : null;
      return el(
        'li',
        { 'data-testid': 'path-step', 'data-element-id': s.elementId, 'data-intent': s.intent, class: `intent-${s.intent.toLowerCase()}` },
        timeEl(s.at),
        ' ',
        el('span', { class: 'step-name', text: s.name || s.elementId }),
        ' ',
        el('span', { class: 'intent', text: INTENTS[s.intent] || s.intent }),
        since !== null ? el('span', { class: 'note', text: ` after ${duration(since)}` }) : null,
      );
    });
    for (const i of path.incidents)
      items.push(
        el(
          'li',
          { class: 'intent-incident', 'data-testid': 'path-incident' },
          timeEl(i.createdAt),
          ' ',
          el('span', { text: `incident at ${elementName(i.elementId)}: ${i.errorMessage}` }),
        ),
      );
    $('path-steps').replaceChildren(...items);

    // On the diagram: where it went, and where it is now.
    const open = new Map();
    const visited = new Set();
    for (const s of path.steps) {
      if (s.intent === 'ELEMENT_ACTIVATED') open.set(s.elementInstanceKey, s.elementId);
      if (s.intent === 'ELEMENT_COMPLETED' || s.intent === 'ELEMENT_TERMINATED') {
        open.delete(s.elementInstanceKey);
        visited.add(s.elementId);
      }
    }
    const current = new Set(path.process && path.process.state === 'ACTIVE' ? open.values() : []);
    const onThisVersion = path.process && path.process.definitionKey === state.importedKey;
    const registry = viewer.get('elementRegistry');
    const flows = onThisVersion
      ? registry
          .filter((c) => c.waypoints && c.source && c.target && visited.has(c.source.id) && (visited.has(c.target.id) || current.has(c.target.id)))
          .map((c) => c.id)
      : [];
    mark('path', onThisVersion ? [...visited, ...flows] : [], 'ops-path');
    mark('current', onThisVersion ? [...current] : [], 'ops-path-current');
  }

  /** `follow`: switch to the version the order runs on (a new search; a refresh keeps the version picked). */
  async function showPath(orderId, follow) {
    const path = await api(`/ops/api/orders/${encodeURIComponent(orderId)}/path`);
    if (follow && path.process && path.process.definitionKey !== state.key) {
      state.key = path.process.definitionKey;
      $('version').value = state.key;
      await importDiagram(state.key);
      renderStats(await api(`/ops/api/definitions/${encodeURIComponent(state.key)}/stats`));
    }
    renderPath(path);
  }

  async function search(orderId) {
    $('order-id').value = orderId;
    state.orderId = orderId.trim();
    try {
      await showPath(state.orderId, true);
    } catch (err) {
      state.orderId = null;
      $('order-path').hidden = true;
      mark('path', [], 'ops-path');
      mark('current', [], 'ops-path-current');
      say(`Order search: ${err.message}`, 'error');
    }
  }

  // ---- the refresh loop -----------------------------------------------------

  async function refresh() {
    if (state.refreshing) {
      // Asked for fresh data mid-refresh (a retry): run again right after, do not drop it.
      state.again = true;
      return;
    }
    clearTimeout(state.timer);
    if (document.hidden) {
      state.timer = setTimeout(refresh, REFRESH_SECONDS * 1000);
      return;
    }
    state.refreshing = true;
    try {
      const [definitions, incidents] = await Promise.all([allOf('/ops/api/definitions', 'definitions'), allOf('/ops/api/incidents', 'incidents')]);
      renderPicker(definitions);
      if (state.key) {
        if (state.importedKey !== state.key) await importDiagram(state.key);
        renderStats(await api(`/ops/api/definitions/${encodeURIComponent(state.key)}/stats`));
      }
      renderIncidents(incidents);
      if (state.orderId) await showPath(state.orderId, false).catch((err) => say(`Order ${state.orderId}: ${err.message}`, 'error'));
      $('updated').textContent = clock(new Date().toISOString());
      state.refreshes += 1;
      document.body.dataset.refreshes = String(state.refreshes);
    } catch (err) {
      say(`Could not refresh: ${err.message}`, 'error');
    } finally {
      state.refreshing = false;
      state.timer = setTimeout(refresh, state.again ? 0 : REFRESH_SECONDS * 1000);
      state.again = false;
    }
  }

  $('refresh-note').textContent = `Refreshes by itself every ${REFRESH_SECONDS} s`;
  $('version').addEventListener('change', (ev) => {
    state.key = ev.target.value;
    void refresh();
  });
  $('search').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = $('order-id').value.trim();
    if (id) void search(id);
  });
  // A hidden tab does not poll; it catches up when it is looked at again.
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void refresh();
  });
  window.opsPage = { refresh };
  void refresh();
})();
