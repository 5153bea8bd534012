// bars.js: the results as one bar per candidate, sorted, the leader marked; rows glide to their
// new place and bars grow when counts change (the big screen, the live page, the organiser).
import { el, num } from './common.js';

// bars draws into list (an <ol>). labels(c) gives a candidate's {name, sub}; leaderText(n) the
// word for the leader's mark, where n is how many share the lead (a tie when n > 1). With columns
// > 1 the places run down the first column, then the next (the big screen); the row's CSS width is
// then its column's.
export function bars(list, { labels, leaderText, votesText = () => '', columns = 1 }) {
  const rows = new Map();
  list.classList.add('bars');
  return {
    // update shows tally ({id: count}) for candidates. When shown (a Set of ids) is given, only
    // those candidates have a row, each in its final place: the staged reveal of the big screen.
    update(tally, candidates, shown) {
      // During a staged reveal (shown given) the places not shown yet are above every shown one:
      // the ranks count them, and no one is marked first and no share is given until the first
      // place is shown (the total is not known before).
      const above = shown ? candidates.filter((c) => !shown.has(c.id)).length : 0;
      const count = (c) => tally[c.id] || 0;
      const hidden = (c) => (shown && !shown.has(c.id) ? 1 : 0);
      const sorted = [...candidates].sort((a, b) => hidden(b) - hidden(a) || count(b) - count(a) || a.id.localeCompare(b.id));
      const max = Math.max(0, ...sorted.filter((c) => !hidden(c)).map(count));
      const total = above ? 0 : sorted.reduce((s, c) => s + count(c), 0);
      const leaders = max > 0 && !above ? sorted.filter((c) => count(c) === max).length : 0;
      const per = Math.ceil(sorted.length / columns);
      const place = (i) => (columns > 1 ? `translate(${Math.floor(i / per) * 100}%, ${(i % per) * 100}%)` : `translateY(${i * 100}%)`);
      list.style.setProperty('--rows', per);
      sorted.forEach((c, i) => {
        let r = rows.get(c.id);
        if (shown && !shown.has(c.id)) {
          if (r) { r.li.remove(); rows.delete(c.id); }
          return;
        }
        if (!r) {
          r = {
            rank: el('span', { class: 'b-rank' }),
            name: el('span', { class: 'b-name' }),
            sub: el('span', { class: 'b-sub' }),
            lead: el('span', { class: 'b-lead' }),
            fill: el('span', { class: 'b-fill' }),
            val: el('span', { class: 'b-num' }),
            share: el('span', { class: 'b-share' }),
            votes: el('span', { class: 'sr-only' }),
          };
          r.li = el('li', { class: 'b-row', 'data-id': c.id },
            r.rank,
            el('span', { class: 'b-label' }, r.name, r.lead, r.sub),
            el('span', { class: 'b-track', 'aria-hidden': 'true' }, r.fill),
            el('span', { class: 'b-val' }, r.val, r.votes, r.share));
          r.li.style.transform = place(i);
          list.append(r.li);
          rows.set(c.id, r);
          void r.li.offsetWidth; // start the bar at zero so that it grows
        }
        const n = count(c);
        const l = labels(c);
        r.name.textContent = l.name;
        r.sub.textContent = l.sub;
        const leads = leaders > 0 && n === max;
        r.rank.textContent = leads ? '★' : String(1 + above + sorted.filter((x) => !hidden(x) && count(x) > n).length);
        r.li.style.transform = place(i);
        r.fill.style.width = max ? `${(n / max) * 100}%` : '0%';
        r.val.textContent = num(n);
        r.votes.textContent = ' ' + votesText(n);
        r.share.textContent = total ? `${num((n / total) * 100, 1)}%` : '';
        r.li.classList.toggle('leader', leads);
        r.lead.textContent = leads ? leaderText(leaders) : '';
      });
    },
    clear() {
      list.textContent = '';
      rows.clear();
    },
  };
}
