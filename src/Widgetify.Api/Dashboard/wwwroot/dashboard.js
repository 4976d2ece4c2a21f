// Widgetify operator dashboard: polls the operator-only monitoring API once a second and shows it.
// The operator key arrives once in the URL fragment (#key=..., the key `./widgetify up` keeps in
// <data-dir>/operator-api-key; a fragment never reaches a server or a Referer), or is typed in the form; it is moved
// to sessionStorage (gone when the tab closes) and removed from the address bar.
import { TimeChart } from './chart.js';
import { $, cssWord, element, line, link, showPanelError } from './dom.js';
import { formatAge, formatCount, formatNumber, formatRate, formatSeconds, formatTime } from './format.js';
import { nextReviewPollMs, renderReview, reviewUnavailable } from './review.js';
import { decisionMarkers, renderScaling } from './scaling.js';

const KEY_STORAGE = 'widgetify.operatorKey';
const WINDOW_SECONDS = 300;
const POLL_INTERVAL_MS = 1000;
const REQUEST_TIMEOUT_MS = 5000;
const ENDPOINTS = {
  signals: `/api/monitoring/signals?seconds=${WINDOW_SECONDS}`,
  alerts: '/api/alerts',
  incidents: '/api/incidents?limit=20',
  scaling: '/api/scaling?limit=20',
  review: '/api/review',
};
// Signals and alerts come from the service's memory; incidents and the scaling decisions from PostgreSQL, on the
// instance's single control connection that the database sampler and the lease heartbeat also use: read them every
// fifth poll only. (Before an autoscaler has led, the decisions table does not exist yet, and every read of it is an
// error in PostgreSQL's log as well.)
const FROM_DATABASE = new Set(['incidents', 'scaling']);
const DATABASE_EVERY = 5;
let pollCount = 0;
// The pool review changes when a review ends (daily): on its own schedule (review.js), from the first poll on.
let reviewDueAt = 0;

const charts = [
  new TimeChart($('chart-rate'), $('numbers-rate'), {
    windowSeconds: WINDOW_SECONDS, format: formatRate, minTop: 1,
    series: [
      { key: 'requests', label: 'requests', color: 'c1', primary: true, value: (s) => s.requests },
      { key: 'errors', label: '5xx', color: 'c5', value: (s) => s.serverErrors },
      // Clients that went away (499) are not failures of ours: their own line, never added to 5xx.
      { key: 'clientClosed', label: 'clients gave up', color: 'c3', value: (s) => s.clientClosed },
    ],
  }),
  new TimeChart($('chart-latency'), $('numbers-latency'), {
    windowSeconds: WINDOW_SECONDS, format: formatSeconds, scale: 'log', floor: 0.001, minTop: 0.01,
    series: [
      { key: 'p50', label: 'p50', color: 'c3', value: (s) => s.p50Seconds },
      { key: 'p99', label: 'p99', color: 'c1', primary: true, value: (s) => s.p99Seconds },
      { key: 'servedP99', label: 'served p99', color: 'c4', value: (s) => s.servedP99Seconds },
      { key: 'slo', label: 'SLO p99', color: 'c5', dashed: true, value: (_, r) => r.slo?.latencyP99Seconds },
    ],
  }),
  new TimeChart($('chart-pool'), $('numbers-pool'), {
    windowSeconds: WINDOW_SECONDS, format: formatCount, minTop: 4,
    series: [
      { key: 'used', label: 'used', color: 'c1', primary: true, value: (s) => s.poolUsed },
      { key: 'idle', label: 'idle', color: 'c3', value: (s) => s.poolIdle },
      { key: 'pending', label: 'pending', color: 'c5', value: (s) => s.poolPending },
      { key: 'share', label: 'share', color: 'c2', dashed: true, value: (s) => s.connectionShare },
      { key: 'budget', label: 'budget', color: 'c6', dashed: true, value: (s) => s.connectionBudget },
    ],
  }),
  new TimeChart($('chart-server'), $('numbers-server'), {
    windowSeconds: WINDOW_SECONDS, format: formatCount, minTop: 4,
    series: [
      { key: 'server', label: 'all clients', color: 'c1', primary: true, value: (s) => s.serverConnections },
      { key: 'widgetify', label: 'Widgetify', color: 'c4', value: (s) => s.widgetifyServerConnections },
      { key: 'max', label: 'max_connections', color: 'c5', dashed: true, value: (s) => s.maxConnections },
    ],
  }),
  new TimeChart($('chart-admission'), $('numbers-admission'), {
    windowSeconds: WINDOW_SECONDS, format: formatCount, minTop: 4,
    series: [
      { key: 'inFlight', label: 'in flight', color: 'c1', primary: true, value: (s) => s.admissionInFlight },
      { key: 'queued', label: 'queued', color: 'c2', value: (s) => s.admissionQueued },
      { key: 'shed', label: 'shed/s', color: 'c5', value: (s) => s.shed },
      { key: 'limit', label: 'limit', color: 'c6', dashed: true, value: (s) => s.admissionLimit },
    ],
  }),
];

// What the page last received; kept when a poll fails, so a stale page still shows the last known state.
const last = { signals: null, alerts: null, incidents: null, scaling: null, review: null, reviewFailure: null, updatedAt: null };
// Bumped to stop a polling loop (key rejected, or a new key entered while one runs).
let generation = 0;

class PollError extends Error {
  constructor(path, status, message, problem = null, retryAfterSeconds = null) {
    super(`GET ${path}: ${message}`);
    this.status = status;
    // The problem document the service answered with, and its Retry-After in seconds, when it sent them.
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

async function getJson(path, key) {
  let response;
  try {
    response = await fetch(path, {
      headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' },
      cache: 'no-store',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const why = error.name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : `request failed (${error.message})`;
    throw new PollError(path, 0, why);
  }

  if (!response.ok) {
    let detail = '';
    let problem = null;
    try {
      problem = await response.json();
      detail = problem.detail || problem.title || '';
      if (detail === response.statusText) detail = '';
    } catch {
      // not a problem document; the status says enough
    }
    const hint = response.status === 404 ? ' (this Widgetify does not serve it: is it older than the dashboard?)' : '';
    const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
    throw new PollError(path, response.status, `${response.status} ${response.statusText}${detail ? ` — ${detail}` : ''}${hint}`,
      problem, Number.isFinite(retryAfter) ? retryAfter : null);
  }

  try {
    return await response.json();
  } catch {
    throw new PollError(path, response.status, 'the response is not JSON');
  }
}

async function poll(run) {
  if (run !== generation) return;
  const key = sessionStorage.getItem(KEY_STORAGE);
  const started = performance.now();
  const names = Object.keys(ENDPOINTS).filter((name) =>
    name === 'review' ? started >= reviewDueAt : !FROM_DATABASE.has(name) || pollCount % DATABASE_EVERY === 0);
  pollCount += 1;
  // Not again before this answer is in: a slow answer must not stack a second request behind it.
  if (names.includes('review')) reviewDueAt = Infinity;
  const settled = await Promise.allSettled(names.map((name) => getJson(ENDPOINTS[name], key)));
  if (run !== generation) return;

  const denied = settled.find((r) => r.status === 'rejected' && (r.reason.status === 401 || r.reason.status === 403));
  if (denied) {
    rejectKey(denied.reason);
    return;
  }

  const failures = [];
  settled.forEach((result, i) => {
    const name = names[i];
    if (name === 'review') {
      // A review not run yet (503) is the panel's state, shown with why; only other failures are failures. The panel
      // keeps showing a failure until the review is read again, since that is not every second.
      const unavailable = result.status === 'rejected' ? reviewUnavailable(result.reason) : null;
      if (result.status === 'fulfilled') last.review = { report: result.value };
      else if (unavailable) last.review = { unavailable };
      const failed = result.status === 'rejected' && !unavailable;
      last.reviewFailure = failed ? { name, message: result.reason.message } : null;
      reviewDueAt = performance.now() + nextReviewPollMs(last.review, failed);
      if (!failed) return;
    }
    if (result.status === 'rejected') {
      failures.push({ name, message: result.reason.message });
      return;
    }
    last[name] = result.value;
    if (name === 'signals') last.updatedAt = new Date();
  });

  try {
    render(failures);
  } catch (error) {
    // A response of an unexpected shape must not stop the polling; show it like a failed poll.
    failures.push({ name: 'render', message: `could not show the data: ${error.message}` });
    try {
      renderStatus(failures);
    } catch {
      // even the status could not be drawn; the next poll tries again
    }
  } finally {
    setTimeout(() => poll(run), Math.max(0, POLL_INTERVAL_MS - (performance.now() - started)));
  }
}

function render(failures) {
  if (last.signals) {
    const samples = Array.isArray(last.signals.samples) ? last.signals.samples : [];
    const markers = decisionMarkers(last.scaling);
    for (const chart of charts) {
      chart.setMarkers(markers);
      chart.update(samples, last.signals);
    }
    $('instance').textContent = last.signals.instance ?? '–';
    $('instance').title = last.signals.serviceInstanceId ? `service instance ${last.signals.serviceInstanceId}` : '';
  }
  if (last.updatedAt) {
    $('updated').textContent = formatTime(last.updatedAt);
    $('updated').dataset.at = last.updatedAt.toISOString();
  }
  renderAlerts(failures.find((f) => f.name === 'alerts'));
  renderIncidents(failures.find((f) => f.name === 'incidents'));
  showScaling(failures);
  showReview(failures);
  renderStatus(failures);
}

// A /api/scaling response the scaling panels cannot show is their error alone (shown in them, like a failed poll),
// never one that stops the charts, alerts and incidents from being drawn.
function showScaling(failures) {
  try {
    renderScaling(last.scaling, failures.find((f) => f.name === 'scaling'));
  } catch (error) {
    const failure = { name: 'scaling', message: `could not show /api/scaling: ${error.message}` };
    failures.push(failure);
    renderScaling(null, failure);
  }
}

// As for scaling: a review document the panel cannot show is the panel's error, never the page's.
function showReview(failures) {
  try {
    renderReview(last.review, last.reviewFailure);
  } catch (error) {
    const failure = { name: 'review', message: `could not show /api/review: ${error.message}` };
    failures.push(failure);
    renderReview(null, failure);
  }
}

function renderStatus(failures) {
  const samples = last.signals?.samples ?? [];
  const newest = samples.length ? samples[samples.length - 1] : null;
  const databaseDown = newest?.databaseUp === false;
  const paging = (last.alerts?.active ?? []).filter((a) => a.state === 'firing' && equalsIgnoreCase(a.severity, 'page'));

  const banner = $('banner');
  const lines = [];
  if (databaseDown) lines.push('DOWN: the database is unreachable from this instance.');
  if (paging.length) lines.push(`DEGRADED: paging alert firing: ${paging.map((a) => a.name).join(', ')}.`);
  banner.replaceChildren(...lines.map((text) => element('p', null, text)));
  banner.hidden = lines.length === 0;
  banner.dataset.state = databaseDown ? 'down' : paging.length ? 'degraded' : 'ok';

  const stale = $('stale');
  stale.hidden = failures.length === 0;
  if (failures.length) {
    const since = last.updatedAt ? `Showing data from ${formatTime(last.updatedAt)}.` : 'No data received yet.';
    stale.replaceChildren(
      element('strong', null, 'Stale: '),
      `${since} Last poll at ${formatTime(new Date())} failed: `,
      ...failures.map((f) => element('div', 'stale-error', f.message)),
    );
  }

  const signalsFailed = failures.some((f) => f.name === 'signals' || f.name === 'render');
  const state = signalsFailed ? 'stale' : databaseDown ? 'down' : paging.length ? 'degraded' : failures.length ? 'stale' : 'live';
  setBadge(state, state === 'down' ? 'DOWN' : state);
}

function renderAlerts(failure) {
  showPanelError('error-alerts', failure);
  if (!last.alerts) return;
  const active = [...(last.alerts.active ?? [])].sort(
    (a, b) => rank(a) - rank(b) || (Date.parse(since(a)) || 0) - (Date.parse(since(b)) || 0));
  const firing = active.filter((a) => a.state === 'firing').length;
  const list = $('alerts');
  list.dataset.count = String(active.length);
  list.dataset.firing = String(firing);
  $('numbers-alerts').textContent = `${firing} firing, ${active.length - firing} pending`;
  list.replaceChildren(...(active.length ? active.map(alertItem) : [element('li', 'empty', 'No alert is firing or pending.')]));
}

function alertItem(alert) {
  const item = element('li');
  item.dataset.name = alert.name ?? '';
  item.append(
    line(
      element('span', `tag ${cssWord(alert.severity)}`, alert.severity ?? '?'),
      element('span', 'name', alert.name ?? '(unnamed)'),
      element('span', `tag ${cssWord(alert.state)}`, alert.state ?? '?'),
      element('span', 'meta', `since ${formatTime(since(alert))} (${formatAge(since(alert))})`),
    ),
  );
  if (alert.summary) item.append(element('div', null, alert.summary));
  if (alert.runbook) {
    // Runbooks are files in the repository (docs/runbooks/...): shown as the path to open; linked only when absolute.
    const runbook = /^https?:\/\//i.test(alert.runbook) ? link(alert.runbook, alert.runbook) : element('code', null, alert.runbook);
    item.append(line(element('span', 'meta', 'runbook:'), runbook));
  }
  return item;
}

function renderIncidents(failure) {
  showPanelError('error-incidents', failure);
  if (!last.incidents) return;
  const open = (last.incidents.items ?? []).filter((i) => i.status !== 'resolved');
  const list = $('incidents');
  list.dataset.count = String(open.length);
  $('numbers-incidents').textContent = `${open.length} open`;
  list.replaceChildren(...(open.length ? open.map(incidentItem) : [element('li', 'empty', 'No open incident.')]));
}

function incidentItem(incident) {
  const item = element('li');
  item.dataset.id = incident.id ?? '';
  const impact = incident.impact ?? {};
  const parts = [];
  if (typeof impact.failedOrShedPercent === 'number') parts.push(`${formatNumber(impact.failedOrShedPercent)}% of requests failed or shed`);
  // Clients that went away (499) are their own class, never added to the failures above.
  if (typeof impact.clientClosed === 'number' && impact.clientClosed > 0) parts.push(`${formatNumber(impact.clientClosed)} given up by clients`);
  if (typeof impact.clientsAffectedPercent === 'number') parts.push(`${formatNumber(impact.clientsAffectedPercent)}% of clients affected`);
  item.append(
    line(
      element('span', `tag ${cssWord(incident.status)}`, incident.status ?? '?'),
      element('span', 'name', incident.title ?? '(untitled)'),
    ),
    line(
      element('span', 'meta', `impact: ${parts.length ? parts.join(', ') : 'not measured yet'}`),
      element('span', 'meta', `detected ${formatTime(incident.detectedAt)} (${formatAge(incident.detectedAt)})`),
    ),
  );
  if (Array.isArray(incident.alerts) && incident.alerts.length) {
    item.append(element('span', 'meta', `alerts: ${incident.alerts.join(', ')}`));
  }
  return item;
}

function rejectKey(error) {
  generation++;
  sessionStorage.removeItem(KEY_STORAGE);
  const why = error.status === 403 ? 'it is not an operator key' : 'it is unknown, revoked or malformed';
  showKeyForm(`Operator key rejected (${error.status}): ${why}. Enter an operator key.`, true);
  setBadge('rejected', 'key rejected');
}

function showKeyForm(message, rejected) {
  $('panels').hidden = true;
  $('key-form').hidden = false;
  if (message) $('key-message').textContent = message;
  $('key-message').className = rejected ? 'rejected' : '';
  $('key-input').focus();
}

function start() {
  $('key-form').hidden = true;
  $('panels').hidden = false;
  setBadge('starting', 'connecting');
  reviewDueAt = 0;
  const run = ++generation;
  poll(run);
}

function setBadge(state, text) {
  const badge = $('status');
  badge.dataset.state = state;
  badge.textContent = text;
}

function takeKeyFromFragment() {
  const key = new URLSearchParams(location.hash.slice(1)).get('key');
  if (key) {
    sessionStorage.setItem(KEY_STORAGE, key.trim());
    history.replaceState(null, '', location.pathname + location.search);
  }
}

function since(alert) {
  return alert.state === 'firing' ? alert.firingSince ?? alert.pendingSince : alert.pendingSince;
}

function rank(alert) {
  return (alert.state === 'firing' ? 0 : 2) + (equalsIgnoreCase(alert.severity, 'page') ? 0 : 1);
}

function equalsIgnoreCase(a, b) {
  return typeof a === 'string' && a.toLowerCase() === b;
}

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = $('key-input').value.trim();
  if (!key) return;
  sessionStorage.setItem(KEY_STORAGE, key);
  $('key-input').value = '';
  start();
});

takeKeyFromFragment();
if (sessionStorage.getItem(KEY_STORAGE)) {
  start();
} else {
  showKeyForm(null, false);
  setBadge('key', 'key needed');
}
