// DOM helpers shared by the dashboard's panels. Text always goes through textContent, never HTML: a string from the
// API (an alert summary, an incident title, a server's problem) can only ever be shown, never run or parsed.

export const $ = (id) => document.getElementById(id);

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function line(...children) {
  const node = element('div', 'line');
  node.append(...children);
  return node;
}

export function link(href, text) {
  const node = element('a', null, text);
  node.href = href;
  node.rel = 'noopener noreferrer';
  node.target = '_blank';
  return node;
}

/** A value from the API as a CSS class word (letters only), so it can pick a colour but never inject a selector. */
export function cssWord(value) {
  return typeof value === 'string' ? value.toLowerCase().replace(/[^a-z]/g, '') : '';
}

/** Shows why a panel's endpoint could not be read, in the panel, or hides the message. */
export function showPanelError(id, failure) {
  const error = $(id);
  error.hidden = !failure;
  error.textContent = failure ? `Could not load: ${failure.message}` : '';
}
