// The "Pool review" panel, from GET /api/review: the latest review of this instance's connection pool settings (run at
// start and every Widgetify:Review:Interval), its findings most severe first, and the settings `./widgetify review
// --apply` changed. Until a first review completes the endpoint answers 503 with why; that is the panel's state, not a
// failed poll.
import { $, cssWord, element, line, showPanelError } from './dom.js';
import { formatAge, formatDateTime, formatUntil } from './format.js';

const SEVERITIES = ['critical', 'warning', 'info'];
// The report changes only when a review ends (daily by default): read it on load and every 30 s. While the first review
// runs, sooner, as its Retry-After asks (at least 2 s, so a wrong header cannot make the page hammer the service).
export const REVIEW_POLL_MS = 30_000;
const MIN_RETRY_MS = 2_000;
// A read that failed (no answer, a 500) is tried again sooner than a report is refreshed.
const RETRY_AFTER_FAILURE_MS = 5_000;

/** What a failed GET /api/review means for the panel: the review's state when the service answered with why it has no
 * report (503 before the first review completes; 404 where the service does not review its settings), else null: a
 * failure like any other. */
export function reviewUnavailable(error) {
  if (error?.status !== 503 && error?.status !== 404) return null;
  const problem = error.problem ?? {};
  // A 404's title is the framework's "Not Found" when the route does not exist at all: say what that means instead.
  const detail = problem.detail || (error.status === 404
    ? 'This Widgetify does not serve GET /api/review: it is older than the dashboard.'
    : problem.title || 'No review has completed yet.');
  return { status: error.status, title: problem.title ?? '', detail, retryAfterSeconds: error.retryAfterSeconds ?? null };
}

/** When to read /api/review again, in ms, after an answer (a report, or the state reviewUnavailable made) or a failure. */
export function nextReviewPollMs(answer, failed) {
  if (failed) return RETRY_AFTER_FAILURE_MS;
  const retry = answer?.unavailable?.status === 503 ? answer.unavailable.retryAfterSeconds : null;
  return typeof retry === 'number' && retry > 0 ? Math.min(REVIEW_POLL_MS, Math.max(MIN_RETRY_MS, retry * 1000)) : REVIEW_POLL_MS;
}

/** Shows the last answer ({ report } or { unavailable }; null before the first) or the failure of the latest poll. */
export function renderReview(answer, failure) {
  showPanelError('error-review', failure);
  if (!answer) return;
  if (answer.unavailable) {
    renderUnavailable(answer.unavailable);
    return;
  }
  const report = answer.report ?? {};
  const findings = Array.isArray(report.findings) ? report.findings : [];
  renderStatus(report);
  renderCounts(findings);
  renderFindings(findings, 'No findings: the settings pass every rule.');
  renderApplied(Array.isArray(report.applied) ? report.applied : []);
}

function renderUnavailable(unavailable) {
  const status = $('review-status');
  status.dataset.state = unavailable.status === 503 ? 'pending' : 'unavailable';
  status.dataset.generatedAt = '';
  status.replaceChildren(
    element('span', `tag ${unavailable.status === 503 ? 'pending' : 'off'}`, unavailable.status === 503 ? 'no review yet' : 'not reviewed here'),
    ' ',
    element('span', 'detail', unavailable.detail),
  );
  $('numbers-review').replaceChildren();
  renderFindings([], 'No review yet.');
  renderApplied([]);
}

function renderStatus(report) {
  const status = $('review-status');
  status.dataset.state = 'ok';
  status.dataset.generatedAt = report.generatedAt ?? '';
  const parts = [`reviewed ${formatDateTime(report.generatedAt)} (${formatAge(report.generatedAt)})`];
  parts.push(report.nextReviewAt ? `next review ${formatDateTime(report.nextReviewAt)} (${formatUntil(report.nextReviewAt)})` : 'no review scheduled');
  if (typeof report.instances === 'number') parts.push(`${report.instances} instance(s)`);
  const servers = Array.isArray(report.servers) ? report.servers : [];
  if (servers.length) parts.push(servers.map(serverText).join(', '));
  status.replaceChildren(element('span', null, parts.join(' · ')));
}

function serverText(server) {
  const pool = typeof server.maxPoolSize === 'number' ? `Max Pool Size ${server.maxPoolSize}` : 'pool follows the budget';
  return `${server.name ?? '?'}: max_connections ${server.maxConnections ?? '?'}, ${pool}`;
}

function renderCounts(findings) {
  // The words are always written; the colour only repeats them.
  $('numbers-review').replaceChildren(...SEVERITIES.map((severity) => {
    const count = findings.filter((f) => f.severity === severity).length;
    const node = element('span', `tag ${count > 0 ? severity : 'none'}`, `${count} ${severity}`);
    node.dataset.severity = severity;
    node.dataset.count = String(count);
    return node;
  }));
}

function renderFindings(findings, emptyText) {
  $('review-findings').dataset.count = String(findings.length);
  $('review-findings').dataset.critical = String(findings.filter((f) => f.severity === 'critical').length);
  if (!findings.length) {
    const empty = element('td', 'empty', emptyText);
    empty.colSpan = 5;
    const row = element('tr');
    row.append(empty);
    $('review-findings-body').replaceChildren(row);
    return;
  }
  $('review-findings-body').replaceChildren(...findings.map(findingRow));
}

function findingRow(finding) {
  const severity = cssWord(finding.severity);
  const row = element('tr', `finding ${severity}`);
  row.dataset.severity = finding.severity ?? '';
  row.dataset.server = finding.server ?? '';
  row.dataset.setting = finding.setting ?? '';
  row.append(
    cell(element('span', `tag ${severity}`, finding.severity ?? '?')),
    element('td', null, finding.server ?? '?'),
    cell(element('code', null, finding.setting ?? '?')),
    cell(
      element('span', 'current', valueText(finding.current, 'unset')),
      ' → ',
      element('span', finding.recommended === null || finding.recommended === undefined ? 'recommended none' : 'recommended',
        valueText(finding.recommended, 'no value recommended')),
    ),
    element('td', 'reason', finding.reason ?? ''),
  );
  return row;
}

function renderApplied(applied) {
  const list = $('review-applied');
  list.dataset.count = String(applied.length);
  $('numbers-applied').textContent = applied.length ? `${applied.length} change(s), newest first` : '';
  list.replaceChildren(...(applied.length
    ? applied.map(appliedItem)
    : [element('li', 'empty', 'Nothing applied yet.')]));
}

function appliedItem(change) {
  const item = element('li');
  item.dataset.setting = change.setting ?? '';
  item.dataset.server = change.server ?? '';
  item.append(line(
    element('code', 'name', change.setting ?? '?'),
    element('span', null, `on ${change.server ?? '?'}: ${valueText(change.from, 'unset')} → ${valueText(change.to, '?')}`),
    element('span', 'meta', `${formatDateTime(change.at)} (${formatAge(change.at)}) by ${change.by || 'unknown'}`),
  ));
  // The contract names where the change came from (source); the service also says why (reason). Shown as given.
  const why = [change.source, change.reason].filter((s) => typeof s === 'string' && s).join(' · ');
  if (why) item.append(element('div', 'meta', why));
  return item;
}

// A setting's value as the review gives it: a number, a string, a boolean, or null.
function valueText(value, whenNull) {
  if (value === null || value === undefined) return whenNull;
  return String(value);
}

function cell(...children) {
  const node = element('td');
  node.append(...children);
  return node;
}
