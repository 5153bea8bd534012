// organiser-held.js: the fraud panel's held ballots, oldest first: Release or Void one, or all
// listed, each after a confirmation.
import { el, lang, num, text, time } from './common.js';
import { candidate, candidateName, setText } from './organiser-view.js';

const LIMIT = 100; // ballots listed

// heldList runs the list with ctx (organiser.js) and panel (organiser-fraud.js: refresh, failed).
export function heldList(ctx, panel) {
  const { t, $ } = ctx;
  let held = null; // {count, held: [...]} from .../held

  $('h-held-list').tabIndex = -1;
  $('release-all').addEventListener('click', () => bulkReview('release', $('release-all')));
  $('void-all').addEventListener('click', () => bulkReview('void', $('void-all')));

  async function load() {
    const res = await ctx.call(`${ctx.admin}/held?limit=${LIMIT}`);
    if (res.ok) held = res.data;
  }

  // render keeps one list item per held ballot (keyed by receipt), so that the focus stays on a
  // button while the list refreshes around it. count is the number of ballots awaiting review.
  function render(count) {
    const ul = $('held-list');
    const list = held ? held.held : [];
    $('held-empty').hidden = list.length > 0;
    $('held-bulk').hidden = list.length < 2;
    setText($('release-all'), t('f_release_all', { n: num(list.length) }));
    setText($('void-all'), t('f_void_all', { n: num(list.length) }));
    setText($('held-more'), count > list.length && list.length ? t('f_held_more', { n: num(list.length), total: num(count) }) : '');
    const old = new Map([...ul.children].map((li) => [li.dataset.receipt, li]));
    let prev = null;
    for (const h of list) {
      const key = lang + '|' + h.receipt;
      let li = old.get(h.receipt);
      old.delete(h.receipt);
      if (!li || li.dataset.key !== key) {
        const fresh = item(h);
        if (li) li.replaceWith(fresh); else ul.append(fresh);
        li = fresh;
      }
      if (prev ? li.previousElementSibling !== prev : ul.firstElementChild !== li) (prev ? prev.after(li) : ul.prepend(li));
      prev = li;
    }
    for (const li of old.values()) li.remove();
  }

  function item(h) {
    const li = el('li', { 'data-receipt': h.receipt });
    li.dataset.key = lang + '|' + h.receipt;
    const choices = el('ul', { class: 'choices' }, ...h.choices.map((id) => {
      const c = candidate(ctx.poll, id);
      return el('li', {}, el('strong', { text: c ? text(c.city) : id }), c ? ` · ${text(c.initiative)}` : null);
    }));
    const release = el('button', { type: 'button', class: 'btn small', 'data-action': 'release',
      'aria-label': t('f_release_label', { r: h.receipt }), text: t('f_release') });
    const voidB = el('button', { type: 'button', class: 'btn quiet small danger-text', 'data-action': 'void',
      'aria-label': t('f_void_label', { r: h.receipt }), text: t('f_void') });
    release.addEventListener('click', () => review(h, 'release', release));
    voidB.addEventListener('click', () => review(h, 'void', voidB));
    li.append(
      el('div', { class: 'what' }, el('code', { class: 'held-receipt', text: h.receipt }),
        el('span', { class: 'hint', text: t('f_recorded', { t: time(h.recorded_at, { dateStyle: 'short', timeStyle: 'medium' }) }) }), choices),
      el('div', { class: 'acts' }, release, voidB));
    return li;
  }

  // review releases or voids a held ballot after confirmation, then refreshes the panel and puts
  // the focus on the next ballot (or the list's heading).
  async function review(h, action, button) {
    const vars = { r: h.receipt, c: h.choices.map((id) => candidateName(ctx.poll, id)).join(', ') };
    if (!(await ctx.confirmed(action === 'release' ? 'c_release' : 'c_void', vars, action === 'void'))) return button.focus();
    const li = button.closest('li');
    const next = li.nextElementSibling || li.previousElementSibling;
    for (const b of li.querySelectorAll('button')) b.disabled = true;
    const res = await ctx.call(`${ctx.admin}/held/${encodeURIComponent(h.receipt)}`, { method: 'POST', body: { action } });
    if (res.ok) {
      panel.failed(null);
      ctx.announce(t(action === 'release' ? 'released' : 'voided', { r: h.receipt }));
    } else {
      panel.failed(res.code === 'not_held' ? { key: 'not_held', vars } : res);
    }
    await panel.refresh();
    const target = next && next.isConnected ? next.querySelector(`[data-action=${action}]`) : null;
    (target || li.isConnected && li.querySelector(`[data-action=${action}]`) || $('h-held-list')).focus();
  }

  // bulkReview releases or voids every held ballot listed (POST .../held), after confirmation,
  // then refreshes the panel. Ballots settled meanwhile elsewhere are reported, not an error.
  async function bulkReview(action, button) {
    const receipts = held ? held.held.map((h) => h.receipt) : [];
    if (!receipts.length) return;
    const n = num(receipts.length);
    if (!(await ctx.confirmed(action === 'release' ? 'c_release_all' : 'c_void_all', { n }, action === 'void'))) return button.focus();
    button.disabled = true;
    const res = await ctx.call(`${ctx.admin}/held`, { method: 'POST', body: { action, receipts } });
    button.disabled = false;
    if (res.ok) {
      panel.failed(null);
      const skipped = res.data.not_held.length + res.data.not_found.length;
      ctx.announce(t(action === 'release' ? 'released_all' : 'voided_all', { n: num(res.data.reviewed.length) }) +
        (skipped ? ' ' + t('skipped_all', { n: num(skipped) }) : ''));
    } else {
      panel.failed(res);
    }
    await panel.refresh();
    $('h-held-list').focus();
  }

  return {
    load,
    render,
    // count is the number of ballots awaiting review as .../held last answered (null: not yet).
    count: () => (held ? held.count : null),
  };
}
