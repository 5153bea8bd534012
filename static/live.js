// live.js: public participation (/live/{poll}): ballots so far, the rate and turnout over time,
// and the results once they are public (live or revealed). The Vote button shows only to people
// who have not voted; those who have get a link to their receipt.
import { api, CATALOGUES, langSelect, live, num, pollFromPath, t as tr, text, time, translate, useLanguages } from './common.js';
import { bars } from './bars.js';
import { chart } from './chart.js';
import { showCheckpoint } from './checkpoint.js';

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
  votesText: () => t('votes'),
});

start();

async function start() {
  const [p, m] = await Promise.all([api(base), api(`${base}/me`)]);
  if (p.ok) poll = p.data;
  if (m.ok) me = m.data;
  await useLanguages(poll ? poll.languages : CATALOGUES);
  langSelect($('lang'), render);
  render();
  live(`/ws/polls/${encodeURIComponent(pollId)}?hz=2`, {
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
  if (pub && poll) board.update(snap.tally, poll.candidates);
  else board.clear();
}

function renderTurnout() {
  const describe = (n, at, total) => t('chart_text', { n: num(n), t: time(at), total: num(total) });
  if (minute) chart($('chart-minute'), minute, { steps: 60, stepMs: 60e3, describe });
  if (hour) chart($('chart-hour'), hour, { steps: 48, stepMs: 3600e3, describe });
}
