// organiser-controls.js: the console's controls: voting status (open, pause, close) and results
// visibility (hidden, live, revealed), each after a confirmation (revealing while voting is open
// warns so), and the proof-of-work difficulty, confirmed on the page once the server took it.
import { num, text, time } from './common.js';
import { maxDifficulty, settableStatuses, visibilities } from './codes.js';

// controls wires the controls of the console to ctx (organiser.js).
export function controls(ctx) {
  const { t, $ } = ctx;
  let difficulty = null; // as the server last answered; null until signed in
  let setAt = null; // when this console last set it

  // A button per status an organiser sets and per visibility, in the server's order (codes.js).
  for (const [set, values] of [['status', settableStatuses], ['results', visibilities]]) {
    for (const value of values) {
      const b = document.createElement('button');
      Object.assign(b, { type: 'button', className: 'btn quiet' });
      Object.assign(b.dataset, { set, value, t: 'do_' + value });
      $('set-' + set).append(b);
    }
  }
  for (const b of document.querySelectorAll('[data-set]')) {
    b.addEventListener('click', async () => {
      const { set, value } = b.dataset;
      if (ctx.snap && ctx.snap[set] === value) return;
      let key = value === 'revealed' && ctx.snap && ctx.snap.status === 'open' ? 'c_revealed_open' : 'c_' + value;
      const vars = {};
      const body = { [set]: value };
      if (value === 'revealed') {
        // The checklist first: what the result will and will not hold. Held or pending ballots
        // need a deliberate confirmation, which the server asks for too.
        const c = await ctx.call(`${ctx.admin}/checklist`);
        if (!c.ok) return ctx.error(c);
        const d = c.data;
        const audit = !d.audited_at ? t('check_no_audit') : t(d.audit_consistent ? 'check_audit' : 'check_audit_bad', { t: time(d.audited_at) });
        vars.check = t('check', { received: num(d.received), counted: num(d.counted), held: num(d.held), pending: num(d.pending), void: num(d.void), audit,
          ties: d.tied_first > 1 ? t('check_tie', { n: num(d.tied_first) }) + (d.tie_break ? ` (${text(d.tie_break)})` : '') : t('check_no_tie') });
        if (d.confirm_needed) {
          key = 'c_revealed_held';
          body.confirm = true;
        }
      }
      if (!(await ctx.confirmed(key, vars, value === 'closed' || value === 'revealed'))) return b.focus();
      const res = await ctx.call(`${ctx.admin}/${set}`, { method: 'POST', body });
      b.focus();
      if (!res.ok) return ctx.error(res);
      ctx.error(null);
      ctx.changed({ status: res.data.status, results: res.data.results });
      ctx.announce(t(set === 'status' ? 'changed_status' : 'changed_results', { s: t(res.data[set]) }));
    });
  }

  $('difficulty').max = maxDifficulty;
  $('pow-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const n = Number($('difficulty').value);
    if (!Number.isInteger(n) || n < 0 || n > 10000000) return ctx.error({ code: 'invalid_request' });
    $('pow-status').textContent = '';
    const res = await ctx.call(`${ctx.admin}/difficulty`, { method: 'POST', body: { difficulty: n } });
    if (!res.ok) return ctx.error(res);
    ctx.error(null);
    difficulty = res.data.difficulty;
    setAt = new Date();
    ctx.render();
  });

  return {
    start() {},
    render() {
      if (difficulty === null && ctx.poll) difficulty = ctx.poll.difficulty;
      $('difficulty').value = difficulty ?? '';
      // The confirmation stays in view: what the server took, and when.
      $('pow-status').textContent = setAt
        ? `${t('pow_set', { n: num(difficulty) })} ${t('pow_set_at', { t: time(setAt, { timeStyle: 'medium' }) })}`
        : '';
    },
  };
}
