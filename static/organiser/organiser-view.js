// organiser-view.js: small helpers of the console's panels that change the DOM only where the
// numbers did, and candidates' names.
import { el, text } from './common.js';

// setText sets an element's text when it changed.
export const setText = (e, s) => { if (e.textContent !== s) e.textContent = s; };

// rows replaces a table's body when its rows (arrays of cells: text, or [text, class]) changed.
export function rows(table, list) {
  const body = table.tBodies[0];
  const key = JSON.stringify(list);
  if (body.dataset.key === key) return;
  body.dataset.key = key;
  body.replaceChildren(...list.map((r) => el('tr', {}, ...r.map((c, i) => {
    const [txt, cls] = Array.isArray(c) ? c : [c, ''];
    return el(i === 0 ? 'th' : 'td', { class: cls || null, scope: i === 0 ? 'row' : null }, txt);
  }))));
}

// candidate is the poll's candidate id, or null.
export const candidate = (poll, id) => (poll && poll.candidates.find((c) => c.id === id)) || null;

// candidateName is the name of the poll's candidate id in the page's language (else the id).
export function candidateName(poll, id) {
  const c = candidate(poll, id);
  return c ? text(c.city) : id;
}
