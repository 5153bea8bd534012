// organiser-groups.js: held ballots by source and reason (GET .../held/groups): each group (a
// subnet, or a group of sources spread over several subnets) with its count, addresses, time
// span, what the choice test says of its source now, and its choices beside the poll's last
// hour; Release or Void a whole group with one confirmed action (POST
// .../held/groups, up to the group's last ballot as shown). Refreshed every 5 s while the page is
// visible and after each action; the DOM is rebuilt only when the groups changed.
import { el, lang, num, time } from './common.js';
import { candidateName, setText } from './organiser-view.js';

// heldGroups runs the grouped review in the #held-groups container with ctx (organiser.js).
export function heldGroups(ctx) {
  const { t, $ } = ctx;
  let data = null; // the last answer of .../held/groups
  let timer = 0;
  let failure = null;

  async function load() {
    clearTimeout(timer);
    const res = await ctx.call(`${ctx.admin}/held/groups`);
    if (res.ok) data = res.data;
    render();
    timer = setTimeout(() => { if (document.visibilityState === 'visible') load(); else timer = 0; }, 5000);
  }

  const pct = (x) => new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en', { style: 'percent', maximumFractionDigits: 0 }).format(x);
  const span = (g) => {
    const opts = { timeStyle: 'medium' };
    return g.first === g.last ? time(g.first, opts) : `${time(g.first, opts)} – ${time(g.last, opts)}`;
  };

  function render() {
    const box = $('held-groups');
    if (!box || !ctx.poll) return;
    if (!box.dataset.ready) {
      box.dataset.ready = '1';
      // How groups are judged, folded: the card must fit the first screen beside the others.
      box.append(el('h3', { id: 'h-groups', tabindex: '-1' }),
        el('details', { class: 'hint groups-how' }, el('summary', { id: 'groups-how' }), el('p', { id: 'groups-hint' })),
        el('p', { class: 'notice error', id: 'groups-error', role: 'alert' }),
        el('p', { class: 'empty', id: 'groups-empty', hidden: true }), el('ul', { class: 'held-list', id: 'groups-list' }));
    }
    setText($('h-groups'), t('g_title'));
    setText($('groups-how'), t('g_how'));
    setText($('groups-hint'), t('g_hint'));
    setText($('groups-empty'), t('g_none'));
    setText($('groups-error'), failure ? t(failure.key, failure.vars) : '');
    const groups = data ? data.groups : [];
    $('groups-empty').hidden = groups.length > 0;
    const list = $('groups-list');
    const key = JSON.stringify([lang, data && groups]);
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    list.replaceChildren(...groups.map((g) => item(g, data.hour)));
  }

  function item(g, hour) {
    const li = el('li', { 'data-source': g.source, 'data-by': g.by, 'data-signal': g.signal });
    const facts = [t('g_count', { n: num(g.count), ips: num(g.ips) }), span(g)];
    if (g.by === 'group') facts.push(t('g_by_group', { n: num(g.subnets) }));
    if (g.by === 'new_networks') facts.push(t('g_by_new', { n: num(g.subnets) }));
    if (g.pending) facts.push(t('g_pending', { n: num(g.pending) }));
    if (g.judgement) facts.push(t('g_judgement_' + g.judgement));
    const sig = t('sig');
    const choices = Object.entries(g.choices).sort((a, b) => b[1] - a[1]);
    const table = el('table', { class: 'data group-choices' },
      el('caption', { class: 'sr-only', text: t('g_choices_caption') }),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('f_candidate') }),
        el('th', { scope: 'col', class: 'n', text: t('g_group') }), el('th', { scope: 'col', class: 'n', text: t('g_poll_hour') }))),
      el('tbody', {}, ...choices.map(([id, n]) => el('tr', {},
        el('th', { scope: 'row', text: candidateName(ctx.poll, id) }),
        el('td', { class: 'n', text: `${num(n)} · ${pct(n / g.count)}` }),
        el('td', { class: 'n', text: hour.ballots ? pct((hour.choices[id] || 0) / hour.ballots) : '–' })))));
    const release = el('button', { type: 'button', class: 'btn small', 'data-action': 'release', text: t('g_release', { n: num(g.count) }) });
    const voidB = el('button', { type: 'button', class: 'btn quiet small danger-text', 'data-action': 'void', text: t('g_void', { n: num(g.count) }) });
    release.addEventListener('click', () => review(g, 'release', release));
    voidB.addEventListener('click', () => review(g, 'void', voidB));
    li.append(
      el('div', { class: 'what' },
        el('p', {}, el('code', { class: 'group-source', text: g.by === 'new_networks' ? t('g_new_networks') : g.source ? g.source.slice(0, 10) + '…' : t('g_no_source') }), ' · ',
          el('strong', { class: 'group-signal', text: g.signal }), ` · ${sig[g.signal] || ''}`),
        el('p', { class: 'hint group-facts', text: facts.join(' · ') }), table),
      el('div', { class: 'acts' }, release, voidB));
    return li;
  }

  // review releases or voids the group after confirmation, then refreshes and announces.
  async function review(g, action, button) {
    const vars = { n: num(g.count), s: g.signal };
    if (!(await ctx.confirmed(action === 'release' ? 'c_release_group' : 'c_void_group', vars, action === 'void'))) return button.focus();
    for (const b of button.parentElement.querySelectorAll('button')) b.disabled = true;
    const res = await ctx.call(`${ctx.admin}/held/groups`, { method: 'POST', body: { source: g.source, signal: g.signal, action, until: g.last } });
    failure = res.ok ? null : { key: 'g_failed', vars: {} };
    if (res.ok) ctx.announce(t(action === 'release' ? 'g_released' : 'g_voided', { n: num(res.data.reviewed) }));
    await load();
    $('h-groups').focus();
  }

  return {
    start() {
      load();
      document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') load(); });
    },
    render,
  };
}
