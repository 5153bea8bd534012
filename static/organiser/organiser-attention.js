// organiser-attention.js: the console's attention strip, at the top: what needs the organiser
// now, each flag a sentence in words and a button to the panel where it is acted on, or "all
// clear". It reads the live snapshot (ballots held and waiting), the connection, the fraud
// overview (a candidate surging, one subnet with most of the last minute's ballots) and the last
// audit. A flag that appears is announced to screen readers.
import { el, num } from './common.js';
import { candidateName } from './organiser-view.js';

// When one subnet is flagged: at least this share of the last minute's ballots, of at least this
// many (a handful of ballots from one network is no pattern).
const SUBNET_SHARE = 0.5;
const SUBNET_BALLOTS = 10;
// connGrace is how long the connection may be lost before it is flagged (it reconnects by itself).
const connGrace = 5000;

// attention runs the strip with ctx (organiser.js: snap, conn). noticed(kind, data) takes the
// fraud overview ('signals') and the last audit ('audit').
export function attention(ctx) {
  const { t, $ } = ctx;
  let signals = null;
  let audit = null;
  let lostAt = 0;
  let lostTimer = 0;
  const shown = new Map(); // flag id -> its <li>

  // go moves to a panel: scrolled into view, its heading focused.
  const go = (id) => () => {
    const h = $(id);
    h.scrollIntoView({ block: 'start' });
    h.focus({ preventScroll: true });
  };

  function flags() {
    const out = [];
    const snap = ctx.snap || {};
    if (lostAt && Date.now() - lostAt >= connGrace) {
      out.push({ id: 'conn', level: 'error', text: t('a_conn'), label: t('a_conn_go'), act: () => location.reload() });
    }
    if (audit && !audit.consistent) {
      out.push({ id: 'audit', level: 'error', text: t('a_audit'), label: t('a_audit_go'), act: go('h-records') });
    }
    const held = snap.held ?? (signals ? signals.held : 0);
    if (held > 0) {
      out.push({ id: 'held', level: 'warn', text: held === 1 ? t('a_held_one') : t('a_held', { n: num(held) }), label: t('a_held_go'), act: go('h-held-list') });
    }
    if (signals) {
      for (const v of (signals.velocity || []).filter((x) => x.surging)) {
        out.push({
          id: 'surge-' + v.candidate, level: 'warn', label: t('a_surge_go'), act: go('h-velocity'),
          text: t(v.baseline < 1 ? 'a_surge_new' : 'a_surge', { c: candidateName(ctx.poll, v.candidate), r: num(v.ratio, 0), m: num(v.per_minute, 0), b: num(v.baseline, 1) }),
        });
      }
      const m = (signals.sources && signals.sources.minute) || {};
      const top = (m.subnets || [])[0];
      if (m.ballots >= SUBNET_BALLOTS && m.top_subnet_share >= SUBNET_SHARE && top && !top.trusted) {
        const p = new Intl.NumberFormat(document.documentElement.lang, { style: 'percent', maximumFractionDigits: 0 }).format(m.top_subnet_share);
        out.push({ id: 'subnet', level: 'warn', text: t('a_subnet', { p, n: num(m.ballots) }), label: t('a_subnet_go'), act: go('h-sources') });
      }
    }
    return out;
  }

  // sentence makes the text of a flag: the part in <...> is strong.
  const sentence = (s) => s.split(/<([^>]*)>/).map((part, i) => (i % 2 ? el('strong', { text: part }) : part));

  function render() {
    if (!ctx.poll) return;
    const list = flags();
    const ul = $('flags');
    $('all-clear').hidden = list.length > 0;
    const fresh = [];
    const gone = new Set(shown.keys());
    let prev = null;
    for (const f of list) {
      gone.delete(f.id);
      let li = shown.get(f.id);
      if (!li) {
        const button = el('button', { type: 'button', class: 'btn small' });
        li = el('li', { class: 'flag ' + f.level, 'data-flag': f.id },
          el('span', { class: 'mark', 'aria-hidden': 'true', text: '!' }), el('p'), button);
        shown.set(f.id, li);
        fresh.push(f.text.replace(/[<>]/g, ''));
      }
      const [, p, button] = li.children;
      if (p.dataset.text !== f.text) {
        p.dataset.text = f.text;
        p.replaceChildren(...sentence(f.text));
      }
      if (button.textContent !== f.label) button.textContent = f.label;
      button.onclick = f.act;
      if (prev ? li.previousElementSibling !== prev : ul.firstElementChild !== li) (prev ? prev.after(li) : ul.prepend(li));
      prev = li;
    }
    for (const id of gone) {
      shown.get(id).remove();
      shown.delete(id);
    }
    if (fresh.length) ctx.announce(fresh.join(' '));
  }

  return {
    start() {},
    render,
    // connection takes the live connection's state ('open', 'reconnecting').
    connection(state) {
      clearTimeout(lostTimer);
      if (state === 'open') lostAt = 0;
      else if (!lostAt) lostAt = Date.now();
      if (lostAt) lostTimer = setTimeout(render, connGrace + 100);
      render();
    },
    noticed(kind, data) {
      if (kind === 'signals') signals = data;
      if (kind === 'audit') audit = data;
      render();
    },
  };
}
