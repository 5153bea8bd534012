// live.js: public participation (/live/{poll}): ballots so far, the rate and turnout over time,
// and the results once they are public (live or revealed). The Vote button shows only to people
// who have not voted; those who have get a link to their receipt.
import { api, CATALOGUES, langSelect, live, num, pollFromPath, t as tr, text, time, translate, useLanguages } from './common.js';
import { bars } from './bars.js';
import { chart } from './chart.js';
import { showCheckpoint } from './checkpoint.js';
import { hz } from './codes.js';

const t = (k, v) => tr('live', k, v);
const $ = (id) => document.getElementById(id);
const pollId = pollFromPath();
const base = `/api/v1/polls/${encodeURIComponent(pollId)}`;

let poll = null;
let snap = null;
let conn = '';
let minute = null;
let hour = null;
let lastBallots = -1;
let turnoutAt = 0;
let me = null; // this visitor's ballot (GET .../me), once known
const board = bars($('bars'), {
  labels: (c) => ({ name: text(c.city), sub: text(c.initiative) }),
  leaderText: (n) => (snap && snap.status === 'closed' ? t(n > 1 ? 'tied_first' : 'winner') : t(n > 1 ? 'tied' : 'leader')),
  votesText: (n) => t('votes_unit', { n }),
});

start();

async function start() {
  const [p, m] = await Promise.all([api(base), api(`${base}/me`)]);
  if (p.ok) poll = p.data;
  if (m.ok) me = m.data;
  await useLanguages(poll ? poll.languages : CATALOGUES);
  langSelect($('lang'), render);
  render();
  live(`/ws/polls/${encodeURIComponent(pollId)}?hz=${hz.live}`, {
    onMessage: (m) => {
      snap = m;
      renderNow();
      if (m.ballots !== lastBallots && Date.now() - turnoutAt > 5000) turnout();
    },
    onState: (s) => { conn = s; renderNow(); },
  });
  turnout();
  setInterval(turnout, 30000);
  showCheckpoint($('log'), pollId, (n, root) => t('log', { n, root }), 15000);
}

async function turnout() {
  turnoutAt = Date.now();
  if (snap) lastBallots = snap.ballots;
  const [m, h] = await Promise.all([api(`${base}/turnout?step=1m`), api(`${base}/turnout?step=1h`)]);
  if (m.ok) minute = m.data.series;
  if (h.ok) hour = h.data.series;
  renderTurnout();
}

function render() {
  translate('live');
  if (poll) {
    $('title').textContent = text(poll.title);
    document.title = `${t('brand')} · ${text(poll.title)}`;
  }
  $('to-vote').href = `/vote/${encodeURIComponent(pollId)}`;
  renderNow();
  renderTurnout();
}

function renderNow() {
  $('dot').classList.toggle('off', conn !== 'open');
  $('conn').textContent = conn === 'open' ? t('connected') : conn ? t('reconnecting') : '';
  if (!snap) return;
  $('ballots').textContent = num(snap.ballots);
  $('rate').textContent = snap.rate > 0 ? t('rate', { n: num(snap.rate, snap.rate < 10 ? 1 : 0) }) : t('rate_none');
  const pub = !!snap.tally && snap.results !== 'hidden';
  $('state-text').textContent = snap.status === 'open' ? t(pub ? 'open_public' : 'open') : t(snap.status);
  const voted = !!(me && me.voted);
  $('to-vote').hidden = snap.status !== 'open' || !me || voted;
  $('voted').hidden = !voted;
  if (voted) $('my-receipt').href = `/receipt/${encodeURIComponent(me.receipt)}`;
  $('results').hidden = !pub;
  // During a staged reveal only the places the stage has shown (the server sends no other).
  const withheld = snap.results === 'revealed' ? snap.withheld || 0 : 0;
  $('staged').hidden = !withheld;
  $('staged').textContent = withheld ? t('staged', { n: withheld }) : '';
  if (pub && poll) board.update(snap.tally, poll.candidates, withheld ? new Set(Object.keys(snap.tally)) : undefined);
  else board.clear();
  renderWinner(pub && poll && snap.results === 'revealed' && !withheld);
}

// renderWinner leads the page with the result once the stage has shown all of it.
function renderWinner(on) {
  $('winner').hidden = !on;
  if (!on) return;
  const count = (c) => snap.tally[c.id] || 0;
  const max = Math.max(0, ...poll.candidates.map(count));
  const total = poll.candidates.reduce((a, c) => a + count(c), 0);
  const first = max > 0 ? poll.candidates.filter((c) => count(c) === max) : [];
  if (!first.length) { $('winner').hidden = true; return; }
  $('w-head').textContent = t(first.length > 1 ? 'won_tie' : 'won');
  $('w-names').replaceChildren(...first.map((c) => {
    const li = document.createElement('li');
    const b = document.createElement('strong');
    b.textContent = text(c.city);
    li.append(b, ' — ', text(c.initiative));
    return li;
  }));
  $('w-text').textContent = t('won_text', { share: `${num((max / total) * 100, 1)}%`, n: num(max), total: num(total) });
  $('w-corrected').hidden = !snap.corrected_at;
  if (snap.corrected_at) $('w-corrected').textContent = t('corrected', { t: zoned(snap.corrected_at) });
}

// zoned is an instant's date and time in the poll's time zone, with the zone's name.
function zoned(at) {
  const opts = { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' };
  const lang = document.documentElement.lang || 'en';
  try {
    return new Intl.DateTimeFormat(lang, { ...opts, timeZone: poll.time_zone }).format(new Date(at));
  } catch (e) {
    return new Intl.DateTimeFormat(lang, opts).format(new Date(at));
  }
}

function renderTurnout() {
  const describe = (n, at, total) => t('chart_text', { n: num(n), t: time(at), total: num(total) });
  if (minute) chart($('chart-minute'), minute, { steps: 60, stepMs: 60e3, describe });
  if (hour) chart($('chart-hour'), hour, { steps: 48, stepMs: 3600e3, describe });
}
