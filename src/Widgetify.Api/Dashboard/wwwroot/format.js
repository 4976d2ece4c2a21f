// How the dashboard writes numbers, durations and times: short, with their unit, readable at a glance.

export function formatNumber(v) {
  if (Math.abs(v) >= 100) return Math.round(v).toString();
  return Number(v.toPrecision(3)).toString();
}

export const formatRate = (v) => `${formatNumber(v)}/s`;
export const formatCount = (v) => formatNumber(v);
export const formatSeconds = (v) => (v >= 1 ? `${formatNumber(v)} s` : `${formatNumber(v * 1000)} ms`);

// Powers of 1024, named as such: PostgreSQL's own sizes (pg_size_pretty) are binary too.
export function formatBytes(v) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = v;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : Number(value.toPrecision(3))} ${units[unit]}`;
}

export function formatTime(value) {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? '–' : date.toLocaleTimeString([], { hour12: false });
}

export function formatAge(value) {
  const ms = Date.now() - Date.parse(value);
  if (Number.isNaN(ms)) return 'unknown';
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes}m ${seconds % 60}s ago` : `${Math.floor(minutes / 60)}h ${minutes % 60}m ago`;
}

// A date and time, for what is hours or days away (a daily review): local, 24-hour, the date as YYYY-MM-DD.
export function formatDateTime(value) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '–';
  const day = `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
  return `${day} ${date.toLocaleTimeString([], { hour12: false })}`;
}

export function formatUntil(value) {
  const ms = Date.parse(value) - Date.now();
  if (Number.isNaN(ms)) return 'unknown';
  const seconds = Math.round(ms / 1000);
  if (seconds <= 0) return 'due now';
  if (seconds < 60) return `in ${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `in ${minutes}m ${seconds % 60}s` : `in ${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}
