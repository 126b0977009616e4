/* global BpmnJS, document, window, location, fetch, URLSearchParams, setTimeout, clearTimeout */
// The ops page: draws the deployed BPMN with bpmn-js and puts on each element what
// waits there now, how long completed visits took (p50/p95), job failures and open
// incidents (in red); a multi-instance activity's items and a call activity's child
// instances apart. Lists the incidents with a Retry, shows an order's or a process
// instance's path (with the instances it called or was called by, and the decisions
// it evaluated), and refreshes itself. Reads only /ops/api/* (the browser sends the Basic credentials
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
    /** What the search shows: { kind: 'order' | 'instance', id }, or null. */
    lookup: null,
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
      'data-inner-waiting': e.inner ? e.inner.waiting : '',
      'data-inner-completed': e.inner ? e.inner.completed : '',
      'data-children-running': e.childInstancesRunning,
    });
    box.style.width = `${shape.width}px`;
    box.style.height = `${shape.height}px`;
    const name = e.name || e.elementId;
    const inner = e.inner;
    const facts = [
      `${name}: ${e.waiting} waiting now${e.oldestWaitingSince ? ` (oldest since ${clock(e.oldestWaitingSince)})` : ''}`,
      `${e.completed} completed${e.p50Ms !== null ? `, p50 ${duration(e.p50Ms)}, p95 ${duration(e.p95Ms)}` : ''}`,
      inner
        ? `multi-instance: the counts above are instances of the activity; ${plural(inner.waiting, 'item', 'items')} (inner instances) at work, ${inner.completed} done`
        : null,
      e.childInstancesRunning > 0 ? `${plural(e.childInstancesRunning, 'called process instance', 'called process instances')} running` : null,
      `${plural(e.jobFailures, 'job failure', 'job failures')}, ${e.incidentsOpen} open incidents (${e.incidentsTotal} ever)`,
    ];
    // The box lets clicks and drags through to the diagram; what is drawn on it carries the details.
    const title = facts.filter(Boolean).join('\n');
    // A multi-instance activity's items, and a call activity's child instances, beside its tokens, never added to them.
    const badges = [];
    if (e.waiting > 0) badges.push(el('span', { class: 'ops-waiting', 'data-testid': 'waiting-badge', text: e.waiting, title }));
    if (inner && inner.waiting > 0) badges.push(el('span', { class: 'ops-inner', 'data-testid': 'inner-badge', text: `${inner.waiting} inner`, title }));
    if (e.childInstancesRunning > 0)
      badges.push(el('span', { class: 'ops-children', 'data-testid': 'children-badge', text: `↳ ${e.childInstancesRunning} running`, title }));
    if (badges.length > 0) box.append(el('div', { class: 'ops-badges' }, ...badges));
    if (e.incidentsOpen > 0) box.append(el('span', { class: 'ops-incident-badge', 'data-testid': 'incident-badge', text: e.incidentsOpen, title }));
    const line = [];
    // Times only where tokens wait (the API says where: api/ops-summary.ts); gateways, start/end and
    // throw events pass them on at once (see the tooltip).
    if (e.completed > 0 && e.p50Ms !== null && e.waitingPoint) {
      line.push(el('span', { class: 'ops-times', 'data-testid': 'times', text: `p50 ${duration(e.p50Ms)} · p95 ${duration(e.p95Ms)}` }));
      line.push(el('span', { class: 'ops-done', 'data-testid': 'done', text: `${e.completed}✓` }));
    }
    if (inner && inner.completed > 0) line.push(el('span', { class: 'ops-done', 'data-testid': 'inner-done', text: ` · ${inner.completed} inner✓` }));
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
      : el('button', {
          type: 'button',
          class: 'link',
          'data-testid': 'incident-instance',
          text: `process ${i.processInstanceKey}`,
          title: "Show this process instance's path",
          onclick: () => search(i.processInstanceKey),
        });
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

  // ---- an order's or a process instance's path ---------------------------------

  const INTENTS = { ELEMENT_ACTIVATED: 'arrived', ELEMENT_COMPLETED: 'left', ELEMENT_TERMINATED: 'cancelled', JOB_FAILED: 'job failed' };
  const json = (v) => (v === undefined ? 'null' : JSON.stringify(v));

  /** A link to another process instance: opens it here, or in a new tab as /ops?instance=<key>. */
  function instanceLink(key, text, testid) {
    const href = `?${new URLSearchParams({ ...(params.has('refresh') ? { refresh: params.get('refresh') } : {}), instance: key })}`;
    return el('a', {
      href,
      'data-testid': testid,
      'data-process-instance-key': key,
      text,
      onclick: (ev) => {
        if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
        ev.preventDefault();
        void search(key);
      },
    });
  }

  function renderHeader(order, view) {
    $('path-order').hidden = !order;
    if (order) {
      $('path-order-id').textContent = order.orderId;
      $('path-status').textContent = order.status;
    }
    const p = view && view.process;
    const facts = p ? [`process ${view.processInstanceKey} (${p.bpmnProcessId} v${p.version}) ${p.state.toLowerCase()}`] : ['not picked up by a process yet'];
    if (order && order.statusHistory.length > 0) facts.push(order.statusHistory.map((h) => `${h.to} ${clock(h.at)}`).join(' → '));
    $('path-process').replaceChildren(facts.join('; '));
    if (!order && view && view.orderId) $('path-process').append('; serves order ', el('code', { 'data-testid': 'instance-order', text: view.orderId }));

    const parent = view && view.parent;
    $('path-parent').hidden = !parent;
    if (parent)
      $('path-parent').replaceChildren(
        'Called by ',
        instanceLink(parent.processInstanceKey, `${parent.bpmnProcessId || 'process'} instance ${parent.processInstanceKey}`, 'parent-link'),
        ` at ${parent.name || parent.elementId || 'a call activity'}`,
      );
    const called = (view && view.calledInstances) || [];
    $('path-called').hidden = called.length === 0;
    $('called-list').replaceChildren(
      ...called.map((c) =>
        el(
          'li',
          { 'data-testid': 'called-instance', 'data-element-id': c.elementId || '', 'data-state': c.state },
          `${c.name || c.elementId || 'call activity'}: `,
          instanceLink(c.processInstanceKey, `${c.bpmnProcessId} v${c.version} instance ${c.processInstanceKey}`, 'child-link'),
          ` ${c.state.toLowerCase()}, since ${clock(c.startedAt)}`,
        ),
      ),
    );
  }

  function renderSteps(view) {
    const steps = view ? view.steps : [];
    const arrived = new Map();
    const items = steps.map((s) => {
      if (s.intent === 'ELEMENT_ACTIVATED') arrived.set(s.elementInstanceKey, s.at);
      const since = s.intent === 'ELEMENT_COMPLETED' && arrived.has(s.elementInstanceKey) ? new Date(s.at) - new Date(arrived.get(s.elementInstanceKey)) : null;
      // A multi-instance activity as a whole; its items follow as steps of their own.
      const body = s.type === 'multiInstanceBody' ? ' (all items)' : '';
      return el(
        'li',
        { 'data-testid': 'path-step', 'data-element-id': s.elementId, 'data-intent': s.intent, 'data-type': s.type, class: `intent-${s.intent.toLowerCase()}` },
        timeEl(s.at),
        ' ',
        el('span', { class: 'step-name', text: `${s.name || s.elementId}${body}` }),
        ' ',
        el('span', { class: 'intent', text: INTENTS[s.intent] || s.intent }),
        since !== null ? el('span', { class: 'note', text: ` after ${duration(since)}` }) : null,
      );
    });
    for (const i of view ? view.incidents : [])
      items.push(
        el(
          'li',
          { class: 'intent-incident', 'data-testid': 'path-incident' },
          timeEl(i.createdAt),
          ' ',
          el('span', { text: `incident at ${elementName(i.elementId)}: ${i.errorMessage}` }),
        ),
      );
    // An ended instance whose steps the audit retention deleted: say so rather than show an empty path.
    if (view && view.auditTrail && !view.auditTrail.kept)
      items.unshift(
        el('li', { class: 'note', 'data-testid': 'path-pruned', text: view.auditTrail.message || 'The steps of this instance are no longer kept.' }),
      );
    $('path-steps').replaceChildren(...items);

    // On the diagram: where it went, and where it is now.
    const open = new Map();
    const visited = new Set();
    for (const s of steps) {
      if (s.intent === 'ELEMENT_ACTIVATED') open.set(s.elementInstanceKey, s.elementId);
      if (s.intent === 'ELEMENT_COMPLETED' || s.intent === 'ELEMENT_TERMINATED') {
        open.delete(s.elementInstanceKey);
        visited.add(s.elementId);
      }
    }
    const current = new Set(view && view.process.state === 'ACTIVE' ? open.values() : []);
    const onThisVersion = view && view.process.definitionKey === state.importedKey;
    const registry = viewer.get('elementRegistry');
    const flows = onThisVersion
      ? registry
          .filter((c) => c.waypoints && c.source && c.target && visited.has(c.source.id) && (visited.has(c.target.id) || current.has(c.target.id)))
          .map((c) => c.id)
      : [];
    mark('path', onThisVersion ? [...visited, ...flows] : [], 'ops-path');
    mark('current', onThisVersion ? [...current] : [], 'ops-path-current');
  }

  /** Each decision the instance evaluated, as Operate shows a decision instance. */
  function renderDecisions(decisions) {
    $('decisions').hidden = decisions.length === 0;
    $('decision-count').textContent = `(${decisions.length})`;
    $('decision-rows').replaceChildren(
      ...decisions.map((d) =>
        el(
          'tr',
          { 'data-testid': 'decision-row', 'data-decision-id': d.decisionId, 'data-state': d.failure === null ? 'EVALUATED' : 'FAILED' },
          el('td', {
            'data-testid': 'decision-name',
            text: `${d.decisionName && d.decisionName !== d.decisionId ? `${d.decisionName} (${d.decisionId})` : d.decisionId} v${d.decisionVersion}`,
            title: d.decisionType,
          }),
          el('td', { 'data-testid': 'decision-element', 'data-element-id': d.elementId || '', text: d.elementId ? elementName(d.elementId) : '–' }),
          el('td', { 'data-testid': 'decision-inputs' }, ...d.inputs.map((i) => el('div', { text: `${i.inputName || i.inputId} = ${json(i.value)}` }))),
          el(
            'td',
            { 'data-testid': 'decision-rules' },
            ...(d.matchedRules.length === 0 ? [el('span', { class: 'note', text: d.failure === null ? 'no rule matched' : '–' })] : []),
            ...d.matchedRules.map((r) =>
              el('div', {
                'data-testid': 'matched-rule',
                'data-rule-index': r.ruleIndex,
                text: `rule ${r.ruleIndex} (${r.ruleId}): ${r.evaluatedOutputs.map((o) => `${o.outputName || o.outputId} = ${json(o.value)}`).join(', ')}`,
              }),
            ),
          ),
          d.failure === null
            ? el('td', { 'data-testid': 'decision-output' }, el('code', { text: json(d.output) }))
            : el('td', { 'data-testid': 'decision-failure', class: 'err-type', text: d.failure }),
          el('td', {}, timeEl(d.evaluatedAt)),
        ),
      ),
    );
  }

  /** `follow`: switch to the version the instance runs on (a new search; a refresh keeps the version picked). */
  async function show(lookup, follow) {
    const order = lookup.kind === 'order' ? await api(`/ops/api/orders/${encodeURIComponent(lookup.id)}/path`) : null;
    const key = order ? (order.process ? order.processInstanceKey : null) : lookup.id;
    const [view, decisions] = key
      ? await Promise.all([api(`/ops/api/instances/${encodeURIComponent(key)}`), api(`/ops/api/instances/${encodeURIComponent(key)}/decisions`)])
      : [null, { decisions: [] }];
    if (follow && view && view.process.definitionKey !== state.key) {
      state.key = view.process.definitionKey;
      $('version').value = state.key;
      await importDiagram(state.key);
      renderStats(await api(`/ops/api/definitions/${encodeURIComponent(state.key)}/stats`));
    }
    $('order-path').hidden = false;
    $('order-path').dataset.processInstanceKey = key || '';
    renderHeader(order, view);
    renderSteps(view);
    renderDecisions(decisions.decisions);
  }

  /** An order id, or a process instance key (digits). */
  async function search(text) {
    const id = text.trim();
    $('order-id').value = id;
    state.lookup = { kind: /^\d+$/.test(id) ? 'instance' : 'order', id };
    try {
      await show(state.lookup, true);
    } catch (err) {
      const what = state.lookup.kind === 'order' ? 'Order' : 'Process instance';
      state.lookup = null;
      $('order-path').hidden = true;
      mark('path', [], 'ops-path');
      mark('current', [], 'ops-path-current');
      say(`${what} search: ${err.message}`, 'error');
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
      const lookup = state.lookup;
      if (lookup)
        await show(lookup, false).catch((err) => say(`${lookup.kind === 'order' ? 'Order' : 'Process instance'} ${lookup.id}: ${err.message}`, 'error'));
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
  // /ops?instance=<key> or ?order=<id> opens on that path (the links between called instances carry it).
  const opened = params.get('instance') || params.get('order');
  void refresh().then(() => opened && search(opened));
})();
