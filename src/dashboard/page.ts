/**
 * The dashboard page: one self-contained HTML document (inline CSS and vanilla JS, no build step, no external
 * URL). The script loads `/api/state`, then follows `/api/events` (Server-Sent Events; the browser reconnects by
 * itself) and re-renders on every `snapshot` event. It builds the DOM with `textContent` only, never HTML from
 * data, so names and labels cannot inject markup. Ages ("Running 5 seconds ago") are recomputed every second from
 * each task's `since`, with the same wording as `docker service ps`.
 *
 * The event stream is held by a dedicated worker (`/events-worker.js`, `WORKER_SCRIPT`) that forwards each
 * snapshot to the page: a never-ending request of the page itself keeps headless browsers waiting for the network.
 *
 * `PAGE_SCRIPT` is exported on its own so the server can pin it in the Content-Security-Policy by its hash.
 */

export const WORKER_SCRIPT = `'use strict';
const events = new EventSource('api/events');
events.addEventListener('snapshot', (e) => postMessage({ type: 'snapshot', data: e.data }));
events.addEventListener('error', () => postMessage({ type: 'error' }));
`;

const STYLE = `
:root { color-scheme: light dark; --bg: #f6f7f9; --fg: #1d2330; --muted: #667085; --card: #fff; --line: #e3e6ea;
  --ok: #1a7f37; --bad: #c62828; --warn: #9a6700; --accent: #0b5cad; }
@media (prefers-color-scheme: dark) { :root { --bg: #14171c; --fg: #e6e9ef; --muted: #98a2b3; --card: #1d2128;
  --line: #2c323b; --ok: #4ac26b; --bad: #f47067; --warn: #d4a72c; --accent: #6cb6ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; align-items: baseline; gap: 1.5em; flex-wrap: wrap; padding: 12px 20px;
  border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { font-size: 18px; margin: 0; }
main { padding: 16px 20px; display: grid; gap: 18px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
h2 { font-size: 15px; margin: 4px 0 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 10px 4px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; }
tr:last-child td { border-bottom: none; }
code, .mono { font-family: ui-monospace, monospace; font-size: 13px; }
.muted { color: var(--muted); }
.ok { color: var(--ok); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
.warn { color: var(--warn); font-weight: 600; }
.label { display: inline-block; margin: 0 4px 2px 0; padding: 0 6px; border: 1px solid var(--line); border-radius: 10px;
  font-size: 12px; }
.tasks { margin: 4px 0 10px 18px; width: calc(100% - 18px); }
.tasks td { font-size: 13px; }
.history td { color: var(--muted); }
.svc { border-top: 2px solid var(--line); }
#conn { margin-left: auto; }
`;

export const PAGE_SCRIPT = `
'use strict';
const $ = (id) => document.getElementById(id);
let snapshot = null;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function row(cells, cls) {
  const tr = el('tr', null, cls);
  for (const c of cells) {
    const td = el('td');
    if (c instanceof Node) td.appendChild(c); else td.textContent = c === undefined || c === null ? '' : String(c);
    tr.appendChild(td);
  }
  return tr;
}
function table(headers, rows, cls) {
  const t = el('table', null, cls);
  const h = el('tr');
  for (const x of headers) h.appendChild(el('th', x));
  const thead = el('thead'); thead.appendChild(h); t.appendChild(thead);
  const tb = el('tbody');
  for (const r of rows) tb.appendChild(r);
  t.appendChild(tb);
  return t;
}
function humanDuration(ms) {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return seconds + ' seconds';
  const minutes = Math.trunc(ms / 60000);
  if (minutes === 1) return 'about a minute';
  if (minutes < 60) return minutes + ' minutes';
  const hours = Math.trunc(ms / 3600000 + 0.5);
  if (hours === 1) return 'about an hour';
  if (hours < 48) return hours + ' hours';
  if (hours < 24 * 14) return Math.trunc(hours / 24) + ' days';
  if (hours < 24 * 60) return Math.trunc(hours / 24 / 7) + ' weeks';
  if (hours < 24 * 730) return Math.trunc(hours / 24 / 30) + ' months';
  return Math.trunc(Math.trunc(ms / 3600000) / 24 / 365) + ' years';
}
function age(since) {
  const at = Date.parse(since);
  return humanDuration(Number.isNaN(at) ? 0 : Math.max(0, Date.now() - at)) + ' ago';
}
function statusCell(text, good, bad) {
  return el('span', text, text === good ? 'ok' : bad.includes(text) ? 'bad' : 'warn');
}
function labels(obj) {
  const s = el('span');
  for (const [k, v] of Object.entries(obj || {})) s.appendChild(el('span', v === '' ? k : k + '=' + v, 'label'));
  return s;
}

function renderCluster(s) {
  const c = s.cluster;
  $('cluster-id').textContent = c ? c.id : 'not a swarm';
  $('managers').textContent = c ? c.managers : 0;
  $('workers').textContent = c ? c.workers : 0;
  $('updated').textContent = new Date(s.time).toLocaleTimeString();
}
function renderNodes(s) {
  const rows = s.nodes.map((n) => row([
    el('span', n.hostname, 'mono'), n.role, statusCell(n.status, 'Ready', ['Down', 'Disconnected']),
    statusCell(n.availability, 'Active', ['Drain']), n.managerStatus, el('span', n.address, 'mono'), n.engineVersion,
    labels(n.labels),
  ]));
  $('nodes').replaceChildren(table(['Hostname', 'Role', 'Status', 'Availability', 'Manager status', 'Address', 'Engine', 'Labels'], rows));
}
function renderServices(s) {
  const box = $('services');
  if (s.services.length === 0) { box.replaceChildren(el('p', 'No services.', 'muted')); return; }
  const rows = [];
  for (const svc of s.services) {
    const ok = svc.running === svc.desired;
    const update = svc.updateStatus ? svc.updateStatus.state + (svc.updateStatus.message ? ': ' + svc.updateStatus.message : '') : '';
    rows.push(row([el('strong', svc.name), svc.mode, el('span', svc.replicas, ok ? 'ok replicas' : 'warn replicas'),
      el('span', svc.image, 'mono'), el('span', svc.ports, 'mono'), update], 'svc'));
    const tasks = svc.tasks.map((t) => {
      const cur = el('span', t.state + ' ' + age(t.since), t.state === 'Running' ? 'ok' : ['Failed', 'Rejected', 'Orphaned'].includes(t.state) ? 'bad' : '');
      cur.dataset.since = t.since; cur.dataset.state = t.state;
      return row([el('span', (t.live ? '' : '\\u00a0\\\\_ ') + t.name, 'mono'), el('span', t.node, 'mono'), t.desiredState, cur,
        t.error ? el('span', t.error, 'bad') : ''], t.live ? '' : 'history');
    });
    const td = el('td'); td.colSpan = 6;
    td.appendChild(tasks.length === 0 ? el('span', 'no tasks', 'muted')
      : table(['Task', 'Node', 'Desired state', 'Current state', 'Error'], tasks, 'tasks'));
    const tr = el('tr'); tr.appendChild(td); rows.push(tr);
  }
  box.replaceChildren(table(['Service', 'Mode', 'Replicas', 'Image', 'Ports', 'Update status'], rows));
}
function render(s) {
  snapshot = s;
  renderCluster(s); renderNodes(s); renderServices(s);
}
function tick() {
  for (const e of document.querySelectorAll('[data-since]')) e.textContent = e.dataset.state + ' ' + age(e.dataset.since);
}
function connection(text, cls) { const c = $('conn'); c.textContent = text; c.className = cls; }

fetch('api/state').then((r) => r.json()).then((s) => { if (snapshot === null) render(s); }).catch(() => undefined);
// The stream lives in a worker: a page's own never-ending request would keep it 'loading' for headless
// browsers (virtual time waits for pending requests); the worker forwards each snapshot.
const stream = new Worker('events-worker.js');
stream.addEventListener('message', (e) => {
  if (e.data.type === 'snapshot') { render(JSON.parse(e.data.data)); connection('live', 'ok'); }
  else connection('reconnecting\\u2026', 'warn');
});
setInterval(tick, 1000);
`;

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shoal dashboard</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Shoal</h1>
  <span>Cluster <code id="cluster-id">…</code></span>
  <span><strong id="managers">0</strong> managers</span>
  <span><strong id="workers">0</strong> workers</span>
  <span class="muted">updated <span id="updated">never</span></span>
  <span id="conn" class="warn">connecting…</span>
</header>
<main>
  <section><h2>Nodes</h2><div id="nodes"></div></section>
  <section><h2>Services</h2><div id="services"></div></section>
</main>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
