// organiser-fraud.js: the console's fraud panel. GET .../signals and .../held, every 5 s while the
// page is visible, at once when it becomes visible again or the number of held ballots changes,
// and after each action. One refresh at a time; the DOM changes only where the numbers did. The
// held ballots (organiser-held.js) and the trusted subnets (organiser-trusted.js) are parts of it.
import { el, lang, num, time } from './common.js';
import { message } from './messages.js';
import { signals as SIGNALS } from './codes.js';
import { heldList } from './organiser-held.js';
import { trustedList } from './organiser-trusted.js';
import { candidateName, rows, setText } from './organiser-view.js';

// effects are the sentences (and classes) of each signal severity's effect.
const effects = { definite: 'f_refuses', strong: 'f_holds', weak: 'f_weak', pending: 'f_pending' };

// fraudPanel runs the fraud panel with ctx (organiser.js).
export function fraudPanel(ctx) {
  const { t, $ } = ctx;
  let signals = null; // null: not loaded; {missing: true}; {data, at}
  let failure = null; // {key, vars} or an API answer: the panel's last error
  let timer = 0;
  let loading = null;
  let again = false;

  // panel is what the panel's parts get besides ctx.
  const panel = {
    refresh: () => load(),
    // failed shows f on the panel's error line ({key, vars}, an API answer, or null to clear).
    failed(f) { failure = f; },
  };
  const held = heldList(ctx, panel);
  const trusted = trustedList(ctx, panel);

  // holdNew holds new networks for 15 minutes (after a confirmation), or ends the hold (minutes 0).
  async function holdNew(minutes, button) {
    if (minutes > 0 && !(await ctx.confirmed('c_hold_new', {}, true))) return button.focus();
    button.disabled = true;
    const res = await ctx.call(`${ctx.admin}/new-networks/hold`, { method: 'POST', body: { minutes } });
    button.disabled = false;
    panel.failed(res.ok ? null : { key: 'f_hold_new_failed', vars: {} });
    await load();
    $('h-newcomers').focus();
  }
  $('hold-new').addEventListener('click', (e) => holdNew(15, e.currentTarget));
  $('hold-new-stop').addEventListener('click', (e) => holdNew(0, e.currentTarget));

  function load() {
    if (loading) { again = true; return loading; }
    clearTimeout(timer);
    loading = (async () => {
      do {
        again = false;
        const [sig] = await Promise.all([ctx.call(`${ctx.admin}/signals`), held.load()]);
        if (sig.ok) {
          signals = { data: sig.data, at: new Date() };
          ctx.noticed('signals', sig.data);
        }
        else if (sig.status === 404) signals = { missing: true };
        render();
      } while (again);
      loading = null;
      if (signals && signals.missing) return;
      timer = setTimeout(() => { if (document.visibilityState === 'visible') load(); else timer = 0; }, 5000);
    })();
    return loading;
  }

  function render() {
    const body = $('fraud-body');
    $('fraud-missing').hidden = !(signals && signals.missing);
    body.hidden = !signals || !!signals.missing;
    setText($('fraud-error'), failure ? (failure.key ? t(failure.key, failure.vars) : message(lang, failure)) : '');
    if (body.hidden || !ctx.poll) return;
    const d = signals.data;
    const count = held.count() ?? d.held;
    setText($('f-held'), num(count));
    setText($('held'), num(count));
    setText($('f-accepted'), num(d.results.accepted || 0));
    setText($('f-held-attempts'), num(d.results.held || 0));
    const refused = Object.entries(d.refused || {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
    setText($('f-refused-total'), num(refused.reduce((a, [, n]) => a + n, 0)));
    setText($('f-policy'), d.policy && d.policy.hold ? t('f_policy_hold', { n: d.policy.weak_signals_to_hold }) : t('f_policy_report'));

    // Signals: every one, in the server's order, with its effect and meaning.
    const sig = t('sig');
    const shown = d.signals || {};
    rows($('f-signals'), SIGNALS.map(({ name, severity }) => [
      [name, 'mono'], [num(shown[name] || 0), shown[name] ? 'n hot' : 'n'],
      [t(effects[severity]), 'effect ' + effects[severity]], [sig[name], 'meaning'],
    ]));
    const reason = t('reason');
    $('f-refused-none').hidden = refused.length > 0;
    $('f-refused').hidden = refused.length === 0;
    rows($('f-refused'), refused.map(([k, n]) => [reason[k] || k, [num(n), 'n']]));

    const vel = (d.velocity || []).filter((v) => v.per_minute > 0 || v.surging).sort((a, b) => b.per_minute - a.per_minute);
    $('f-velocity-none').hidden = vel.length > 0;
    $('f-velocity').hidden = vel.length === 0;
    rows($('f-velocity'), vel.map((v) => [
      candidateName(ctx.poll, v.candidate) + (v.surging ? ` · ${t('f_surging')}` : ''),
      [num(v.per_minute, 1), 'n'], [num(v.baseline, 1), 'n'], [v.ratio ? `${num(v.ratio, 1)}×` : '–', v.surging ? 'n hot' : 'n'],
    ]));

    renderNewcomers(d.newcomers);
    renderSources(d.sources || {});
    trusted.render(d.trusted || []);
    held.render(count);
    setText($('f-updated'), t('f_updated', { t: time(signals.at, { timeStyle: 'medium' }) }));
  }

  // renderNewcomers shows, per candidate, the last minutes' ballots from networks new in the hour
  // beside the poll's share of them (GET .../signals "newcomers").
  function renderNewcomers(nc) {
    const share = (x) => new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en', { style: 'percent', maximumFractionDigits: 0 }).format(x);
    const none = !nc || !nc.ballots;
    $('f-newcomers-none').hidden = !none;
    $('f-newcomers').hidden = none;
    setText($('f-newcomers-summary'), none ? '' : t('f_newcomers_summary', { n: num(nc.ballots), p: share(nc.share) }));
    const heldUntil = nc && nc.held_until;
    setText($('f-hold-new-state'), heldUntil ? t('f_hold_new_state', { t: time(heldUntil, { timeStyle: 'short' }) }) : '');
    $('hold-new-stop').hidden = !heldUntil;
    if (none) return;
    const list = nc.candidates.filter((c) => c.ballots > 0).sort((a, b) => b.flagged - a.flagged || b.share - a.share || b.ballots - a.ballots);
    rows($('f-newcomers'), list.map((c) => [
      candidateName(ctx.poll, c.candidate) + (c.flagged ? ` · ${t('f_newcomers_flag')}` : ''),
      [num(c.ballots), 'n'], [`${num(c.new)} (${share(c.share)})`, c.flagged ? 'n hot' : 'n'], [share(nc.share), 'n'],
    ]));
  }

  function renderSources(src) {
    const box = $('f-sources');
    const key = JSON.stringify([lang, src]);
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    const share = (x) => new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en', { style: 'percent', maximumFractionDigits: 0 }).format(x);
    box.replaceChildren(...[['minute', 'f_minute'], ['hour', 'f_hour']].map(([w, title]) => {
      const v = src[w] || { ballots: 0, ips: [], subnets: [] };
      const list = [...(v.subnets || []).map((x) => ['f_subnet_kind', x]), ...(v.ips || []).map((x) => ['f_ip', x])];
      const part = el('div', { class: 'sub' }, el('h4', { text: t(title) }));
      if (!v.ballots) {
        part.append(el('p', { class: 'empty', text: t('f_no_sources') }));
        return part;
      }
      part.append(el('p', { class: 'hint', text: t('f_window', { n: num(v.ballots), p: share(v.top_subnet_share || 0) }) }));
      const table = el('table', { class: 'data' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('f_source') }), el('th', { scope: 'col', text: t('f_kind') }),
          el('th', { scope: 'col', class: 'n', text: t('f_ballots') }))),
        el('tbody'));
      rows(table, list.map(([kind, x]) => [
        [x.hash.slice(0, 10) + '…', 'mono'], t(kind) + (x.trusted ? ` · ${t('f_trusted_mark')}` : ''), [num(x.ballots), 'n'],
      ]));
      part.append(table);
      return part;
    }));
  }

  return {
    start() {
      load();
      document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') load(); });
    },
    render,
    // heldMoved refreshes the panel at once (the live count of held ballots changed), once loaded.
    heldMoved() { if (signals && !signals.missing) load(); },
  };
}
