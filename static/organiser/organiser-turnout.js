// organiser-turnout.js: the console's turnout charts, ballots per minute over the last hour and
// per hour over the last 48 hours (chart.js), read every 15 seconds.
import { api, num, time } from './common.js';
import { chart } from './chart.js';

// turnout draws the turnout of ctx's poll (organiser.js).
export function turnout(ctx) {
  const { t, $ } = ctx;
  let minute = null;
  let hour = null;

  async function load() {
    const [m, h] = await Promise.all([api(`${ctx.base}/turnout?step=1m`), api(`${ctx.base}/turnout?step=1h`)]);
    if (m.ok) minute = m.data.series;
    if (h.ok) hour = h.data.series;
    render();
  }

  function render() {
    const describe = (n, at, total) => t('chart_text', { n: num(n), t: time(at), total: num(total) });
    if (minute) chart($('chart-minute'), minute, { steps: 60, stepMs: 60e3, describe });
    if (hour) chart($('chart-hour'), hour, { steps: 48, stepMs: 3600e3, describe });
  }

  return {
    start() { load(); setInterval(load, 15000); },
    render,
  };
}
