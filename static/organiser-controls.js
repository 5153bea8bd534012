// organiser-controls.js: the console's controls: voting status (open, pause, close) and results
// visibility (hidden, live, revealed), each after a confirmation, and the proof-of-work difficulty.
import { num } from './common.js';

// controls wires the controls of the console to ctx (organiser.js).
export function controls(ctx) {
  const { t, $ } = ctx;
  let difficulty = null; // as the server last answered; null until signed in

  for (const b of document.querySelectorAll('[data-set]')) {
    b.addEventListener('click', async () => {
      const { set, value } = b.dataset;
      if (ctx.snap && ctx.snap[set] === value) return;
      if (!(await ctx.confirmed('c_' + value, {}, value === 'closed' || value === 'revealed'))) return b.focus();
      const res = await ctx.call(`${ctx.admin}/${set}`, { method: 'POST', body: { [set]: value } });
      b.focus();
      if (!res.ok) return ctx.error(res);
      ctx.error(null);
      ctx.changed({ status: res.data.status, results: res.data.results });
      ctx.announce(t(set === 'status' ? 'changed_status' : 'changed_results', { s: t(res.data[set]) }));
    });
  }

  $('pow-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const n = Number($('difficulty').value);
    if (!Number.isInteger(n) || n < 0 || n > 10000000) return ctx.error({ code: 'invalid_request' });
    const res = await ctx.call(`${ctx.admin}/difficulty`, { method: 'POST', body: { difficulty: n } });
    if (!res.ok) return ctx.error(res);
    ctx.error(null);
    difficulty = res.data.difficulty;
    ctx.render();
    ctx.announce(t('pow_set', { n: num(difficulty) }));
  });

  return {
    start() {},
    render() {
      if (difficulty === null && ctx.poll) difficulty = ctx.poll.difficulty;
      $('difficulty').value = difficulty ?? '';
    },
  };
}
