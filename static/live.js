// live.js: public participation (/live/{poll}): ballots so far, the rate and turnout over time,
// and the results once they are public (live or revealed).
import { api, langButton, live, num, pollFromPath, t as tr, text, time, translate } from './common.js';
import { bars } from './bars.js';
import { chart } from './chart.js';
import { showCheckpoint } from './checkpoint.js';

const S = {
  en: {
    brand: 'Participation',
    ballots: 'Ballots cast',
    rate: '{n} per minute in the last minute',
    vote: 'Vote',
    turnout: 'Turnout',
    per_minute: 'Ballots per minute, last hour',
    per_hour: 'Ballots per hour, last 48 hours',
    chart_text: 'Peak {n} at {t}; {total} in this period.',
    results: 'Results',
    leader: 'Leader',
    votes: 'votes',
    open: 'Voting is open. The result stays secret until it is revealed.',
    open_public: 'Voting is open.',
    scheduled: 'Voting has not opened yet.',
    paused: 'Voting is paused for a moment.',
    closed: 'Voting is closed.',
    connected: 'live',
    reconnecting: 'reconnecting…',
    log: 'Public log: {n} entries, root {root}…',
  },
  zh: {
    brand: '参与情况',
    ballots: '已投票数',
    rate: '最近一分钟每分钟 {n} 票',
    vote: '去投票',
    turnout: '投票人数',
    per_minute: '每分钟票数（最近一小时）',
    per_hour: '每小时票数（最近 48 小时）',
    chart_text: '峰值 {n}，时间 {t}；此期间共 {total}。',
    results: '投票结果',
    leader: '领先',
    votes: '票',
    open: '投票进行中。结果揭晓前保密。',
    open_public: '投票进行中。',
    scheduled: '投票尚未开始。',
    paused: '投票暂停中。',
    closed: '投票已结束。',
    connected: '实时',
    reconnecting: '正在重新连接…',
    log: '公开日志：{n} 条记录，根哈希 {root}…',
  },
};
const t = (k, v) => tr(S, k, v);
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
const board = bars($('bars'), {
  labels: (c) => ({ name: text(c.city), sub: text(c.initiative) }),
  leaderText: () => t('leader'),
  votesText: () => t('votes'),
});

langButton($('lang'), render);
render();
start();

async function start() {
  const p = await api(base);
  if (p.ok) poll = p.data;
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
  showCheckpoint($('log'), pollId, (n, root) => t('log', { n: num(n), root }), 15000);
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
  translate(S);
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
  $('rate').textContent = t('rate', { n: num(snap.rate, 1) });
  const pub = !!snap.tally && snap.results !== 'hidden';
  $('state-text').textContent = snap.status === 'open' ? t(pub ? 'open_public' : 'open') : t(snap.status);
  $('to-vote').hidden = snap.status !== 'open';
  $('results').hidden = !pub;
  if (pub && poll) board.update(snap.tally, poll.candidates);
  else board.clear();
}

function renderTurnout() {
  const describe = (n, at, total) => t('chart_text', { n: num(n), t: time(at), total: num(total) });
  if (minute) chart($('chart-minute'), minute, { steps: 60, stepMs: 60e3, describe });
  if (hour) chart($('chart-hour'), hour, { steps: 48, stepMs: 3600e3, describe });
}
