// The "Database servers" and "Scaling decisions" panels, from GET /api/scaling: every server this instance reads from
// (role, state, lag, load), the autoscaler's settings, and the fleet's recent decisions, which the time charts also
// mark at the moment each was taken.
import { $, cssWord, element, line, showPanelError } from './dom.js';
import { formatAge, formatBytes, formatCount, formatSeconds, formatTime } from './format.js';

// How an operator gets standbys and the autoscaler (README, docs/scaling.md).
const START_HINT = './widgetify up --replicas N --max-replicas M';
// A decision's marker takes the colour of how its action ended (CSS custom properties of dashboard.css).
const RESULT_COLORS = { succeeded: 'ok', failed: 'bad', pending: 'warn' };

/** Shows one /api/scaling response (the last one received; null before the first) or the failure of the latest poll. */
export function renderScaling(scaling, failure) {
  showPanelError('error-servers', failure);
  showPanelError('error-decisions', failure);
  if (!scaling) return;
  const servers = Array.isArray(scaling.servers) ? scaling.servers : [];
  renderServers(servers);
  renderAutoscaler(scaling.autoscaler ?? {}, servers.filter((s) => s.role === 'standby').length);
  renderDecisions(Array.isArray(scaling.decisions) ? scaling.decisions : []);
}

/** The decisions as the time charts mark them: the change in standbys ("+1", "-1"; a replacement that keeps the count
 * is "↻"), coloured by the result. */
export function decisionMarkers(scaling) {
  const decisions = Array.isArray(scaling?.decisions) ? scaling.decisions : [];
  return decisions
    .map((d) => ({ at: Date.parse(d.at), label: changeLabel(d), color: RESULT_COLORS[d.result] ?? 'muted' }))
    .filter((m) => Number.isFinite(m.at));
}

function renderServers(servers) {
  const standbys = servers.filter((s) => s.role === 'standby');
  const ready = standbys.filter((s) => s.state === 'ready').length;
  $('servers').dataset.count = String(servers.length);
  $('numbers-servers').textContent = standbys.length ? `${ready} of ${standbys.length} standby(s) ready` : 'primary only';
  $('servers-body').replaceChildren(...servers.map(serverRow));
}

function serverRow(server) {
  const row = element('tr');
  row.dataset.name = server.name ?? '';
  row.dataset.role = server.role ?? '';
  row.dataset.state = server.state ?? '';
  row.append(
    cell(element('div', 'name', server.name ?? '?'), element('div', 'meta', `${server.host ?? '?'}:${server.port ?? '?'}`)),
    element('td', null, server.role ?? '?'),
    // The state in words, coloured as well: never colour alone.
    cell(element('span', `tag ${cssWord(server.state)}`, server.state ?? '?')),
    element('td', null, lagText(server)),
    cell(
      element('div', null, `${count(server.inFlight)} in flight of ${count(server.connections)} connections`),
      element('div', 'meta', `${count(server.readsServed)} reads served`),
    ),
    element('td', 'problem', server.problem ?? ''),
  );
  return row;
}

function lagText(server) {
  // The primary is what the standbys' lag is measured against.
  if (server.role === 'primary') return '–';
  const seconds = finite(server.lagSeconds);
  const bytes = finite(server.lagBytes);
  if (seconds === null && bytes === null) return 'unknown';
  if (seconds === 0 && bytes === 0) return 'caught up';
  return `${seconds === null ? '?' : formatSeconds(seconds)} · ${bytes === null ? '?' : formatBytes(bytes)} behind`;
}

function renderAutoscaler(autoscaler, standbys) {
  const node = $('autoscaler');
  const on = autoscaler.enabled === true;
  node.dataset.enabled = String(on);
  node.dataset.leading = String(autoscaler.leading === true);
  node.replaceChildren(element('span', `tag ${on ? 'on' : 'off'}`, on ? 'autoscaler on' : 'autoscaler off'), ' ', ...autoscalerParts(autoscaler, on, standbys));
}

function autoscalerParts(autoscaler, on, standbys) {
  if (!on) {
    const hint = element('code', null, START_HINT);
    return standbys === 0
      ? ['primary only — start standbys and the autoscaler with ', hint, '.']
      : [`${standbys} standby(s), kept as configured; `, hint, ' keeps between N and M.'];
  }
  const saturation = finite(autoscaler.saturation);
  return [[
    `${autoscaler.minReplicas}–${autoscaler.maxReplicas} standbys`,
    `provider ${autoscaler.provider ?? '?'}`,
    saturation === null ? 'saturation not measured yet' : `read saturation ${saturation.toFixed(2)} (1 = at target)`,
    autoscaler.leading ? 'this instance runs the loop' : 'another instance runs the loop',
  ].join(' · ')];
}

function renderDecisions(decisions) {
  const list = $('decisions');
  const pending = decisions.filter((d) => d.result === 'pending').length;
  list.dataset.count = String(decisions.length);
  $('numbers-decisions').textContent = `${decisions.length} recent${pending ? `, ${pending} in progress` : ''}`;
  list.replaceChildren(...(decisions.length ? decisions.map(decisionItem) : [element('li', 'empty', 'No scaling decision yet.')]));
}

function decisionItem(decision) {
  const item = element('li');
  item.dataset.direction = decision.direction ?? '';
  item.dataset.result = decision.result ?? '';
  const what = `scale ${decision.direction ?? '?'} ${decision.from ?? '?'} → ${decision.to ?? '?'}${decision.replacement ? ' (replacing dead standbys)' : ''}`;
  item.append(
    line(
      element('span', `tag ${cssWord(decision.result)}`, decision.result ?? '?'),
      element('span', 'name', what),
      element('span', 'meta', `${formatTime(decision.at)} (${formatAge(decision.at)})`),
    ),
  );
  if (decision.reason) item.append(element('div', null, decision.reason));
  // The provider's message can be long (a command's output): on hover, and expanded on demand.
  const outcome = element('details');
  outcome.append(element('summary', 'meta', outcomeSummary(decision)));
  if (decision.message) {
    outcome.append(element('div', 'message', decision.message));
    item.title = decision.message;
  }
  item.append(outcome);
  return item;
}

function outcomeSummary(decision) {
  const by = decision.instance ? ` by ${decision.instance}` : '';
  if (decision.result === 'pending') return `in progress${by}`;
  const took = (Date.parse(decision.completedAt) - Date.parse(decision.at)) / 1000;
  return `${decision.result ?? 'ended'}${Number.isFinite(took) ? ` after ${formatSeconds(Math.max(0, took))}` : ''}${by}`;
}

function changeLabel(decision) {
  const change = decision.to - decision.from;
  if (!Number.isFinite(change)) return '?';
  if (change === 0) return '↻';
  return change > 0 ? `+${change}` : String(change);
}

function cell(...children) {
  const node = element('td');
  node.append(...children);
  return node;
}

function count(v) {
  return typeof v === 'number' ? formatCount(v) : '?';
}

function finite(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
