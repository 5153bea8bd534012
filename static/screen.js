// screen.js: the big screen at the ceremony (/screen/{poll}), in Chinese and English at once.
//
// It watches the poll as the public does (so that a hidden tally never reaches it, whoever runs
// it): the ballot count rising smoothly, the rate, the QR code of the ballot; once the results are
// revealed, a bar per candidate. A reveal seen live is staged: the candidates appear from the last
// place up, the top three one by one, the leader last; Space or → moves to the next step at once.
//
// An organiser may drive the reveal from the screen's keyboard: the token comes in the URL
// fragment (/screen/{poll}#token=...), which browsers never send to the server, or from the
// dialog that O opens; it is kept in sessionStorage and sent only in an Authorization header.
// Then R, pressed twice, reveals the results.
import { api, live, num, pollFromPath } from './common.js';
import { bars } from './bars.js';
import { showCheckpoint } from './checkpoint.js';

const $ = (id) => document.getElementById(id);
const pollId = pollFromPath();
const STATUS = {
  scheduled: '投票即将开始 · Voting opens soon',
  paused: '投票暂停 · Voting paused',
  closed: '投票已结束 · Voting closed',
};

let token = takeToken();
let poll = null;
let last = null; // the last snapshot shown
let staging = null; // {shown: Set, order: [ids, last place first], timer}
const board = bars($('bars'), {
  labels: (c) => ({ name: `${c.city.zh} ${c.city.en}`, sub: '' }),
  leaderText: () => '领先 · Leader',
  votesText: () => 'votes',
});

// takeToken moves an organiser token from the URL fragment to sessionStorage and out of the URL.
function takeToken() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    try { sessionStorage.setItem('lv_token', decodeURIComponent(m[1])); } catch (e) { /* private mode */ }
    history.replaceState(null, '', location.pathname + location.search);
  }
  try { return sessionStorage.getItem('lv_token') || ''; } catch (e) { return m ? decodeURIComponent(m[1]) : ''; }
}

// The count glides to each new value.
let shown = 0;
let from = 0;
let target = 0;
let t0 = 0;
let frame = 0;
function setCount(n) {
  if (n === target) return;
  from = shown;
  target = n;
  t0 = performance.now();
  if (document.visibilityState !== 'visible') return drawCount(1);
  if (!frame) frame = requestAnimationFrame(tick);
  setTimeout(() => { if (frame && performance.now() - t0 > 1400) drawCount(1); }, 1500);
}
function tick(now) {
  frame = 0;
  const p = Math.min(1, (now - t0) / 1200);
  drawCount(1 - (1 - p) ** 3);
  if (p < 1) frame = requestAnimationFrame(tick);
}
function drawCount(e) {
  shown = e >= 1 ? target : from + (target - from) * e;
  const s = num(Math.round(shown));
  $('count').textContent = s;
  $('count').classList.toggle('long', s.length >= 7 && s.length < 9);
  $('count').classList.toggle('longer', s.length >= 9);
  if (e >= 1 && frame) { cancelAnimationFrame(frame); frame = 0; }
}

function onSnapshot(m) {
  const before = last;
  last = m;
  setCount(m.ballots);
  $('rate-box').hidden = false;
  $('rate').textContent = num(m.rate, m.rate < 10 ? 1 : 0);
  $('status').hidden = !STATUS[m.status];
  $('status').textContent = STATUS[m.status] || '';
  $('qr-box').hidden = m.status === 'closed';
  if (m.results === 'hidden' || !m.tally) {
    stopStaging();
    board.clear();
    setMode('hidden');
    return;
  }
  setMode('results');
  if (m.results === 'revealed' && before && before.results !== 'revealed') $('org').hidden = true;
  if (m.results === 'revealed' && before && before.results === 'hidden' && !staging) startStaging(m.tally);
  board.update(m.tally, poll ? poll.candidates : [], staging ? staging.shown : undefined);
}

function setMode(mode) {
  document.body.classList.toggle('mode-hidden', mode === 'hidden');
  document.body.classList.toggle('mode-results', mode === 'results');
  $('results').hidden = mode !== 'results';
}

// The staged reveal: the last places appear one after the other, then third, second, first.
function startStaging(tally) {
  const order = [...poll.candidates]
    .sort((a, b) => (tally[a.id] || 0) - (tally[b.id] || 0) || b.id.localeCompare(a.id))
    .map((c) => c.id);
  staging = { shown: new Set(), order, timer: 0 };
  $('bars').classList.remove('final');
  schedule(1200);
}
function schedule(ms) {
  clearTimeout(staging.timer);
  staging.timer = setTimeout(step, ms);
}
function step() {
  if (!staging) return;
  const s = staging;
  s.shown.add(s.order[s.shown.size]);
  const left = s.order.length - s.shown.size;
  if (last && last.tally) board.update(last.tally, poll.candidates, s.shown);
  if (left === 0) return stopStaging();
  schedule(left > 3 ? 700 : left === 3 ? 2600 : 3200);
}
function stopStaging() {
  if (!staging) return;
  clearTimeout(staging.timer);
  staging = null;
  $('bars').classList.add('final');
  if (last && last.tally) board.update(last.tally, poll.candidates);
}

// Keys: Space or → next step of the reveal; O organiser sign-in; R twice: reveal (organiser).
let armed = 0;
document.addEventListener('keydown', (e) => {
  if (e.target.closest('dialog[open]')) return; // typing the token; once closed, keys count even before focus leaves it
  if ((e.key === ' ' || e.key === 'ArrowRight') && staging) {
    e.preventDefault();
    step();
  } else if (e.key === 'o' || e.key === 'O') {
    e.preventDefault(); // else the key lands in the token field the dialog focuses
    $('login').showModal();
  } else if ((e.key === 'r' || e.key === 'R') && last && last.results !== 'revealed') {
    if (!token) {
      e.preventDefault();
      return $('login').showModal();
    }
    if (Date.now() - armed > 5000) {
      armed = Date.now();
      return hint('再按 R 揭晓结果 · Press R again to reveal the results', 5000);
    }
    armed = 0;
    reveal();
  }
});
$('login').addEventListener('close', () => {
  const v = $('login-token').value.trim();
  $('login-token').value = '';
  if ($('login').returnValue !== 'ok' || !v) return;
  token = v;
  try { sessionStorage.setItem('lv_token', v); } catch (e) { /* private mode */ }
  hint('组织者已登录 · Organiser signed in: R reveal, Space next', 6000);
});

async function reveal() {
  const res = await api(`/api/v1/admin/polls/${encodeURIComponent(pollId)}/results`, { method: 'POST', body: { results: 'revealed' }, token });
  if (!res.ok) hint(res.code === 'unauthorized' ? '令牌无效 · Token not accepted' : '未能揭晓 · Reveal failed: ' + res.code, 6000);
}

let hintTimer = 0;
function hint(s, ms) {
  $('org').textContent = s;
  $('org').hidden = false;
  clearTimeout(hintTimer);
  hintTimer = setTimeout(() => { $('org').hidden = true; }, ms);
}

// Until the first snapshot, and whenever the connection is lost, a discreet mark says so; what
// the screen shows stays.
let connTimer = setTimeout(() => { $('conn').hidden = false; }, 2000);
function onState(s) {
  clearTimeout(connTimer);
  $('conn').hidden = s === 'open';
}

async function loadPoll() {
  const res = await api(`/api/v1/polls/${encodeURIComponent(pollId)}`);
  if (!res.ok) return setTimeout(loadPoll, 3000);
  poll = res.data;
  $('title-zh').textContent = poll.title.zh || poll.title.en;
  $('title-en').textContent = poll.title.en;
  document.title = `${poll.title.zh || ''} · ${poll.title.en}`;
  if (last) onSnapshot(last);
}

async function loadQR() {
  try {
    const res = await fetch(`/qr/${encodeURIComponent(pollId)}.svg`, { cache: 'no-store' });
    if (!res.ok) throw new Error(res.status);
    const svg = new DOMParser().parseFromString(await res.text(), 'image/svg+xml').documentElement;
    const url = svg.getAttribute('data-url') || '';
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'QR code: ' + url);
    $('qr').replaceChildren(document.importNode(svg, true));
    $('url').textContent = url.replace(/^https?:\/\//, '');
  } catch (e) {
    setTimeout(loadQR, 3000);
  }
}

if (token) hint('组织者 · Organiser: R reveal, Space next', 6000);
loadPoll();
loadQR();
showCheckpoint($('log'), pollId, (n, root) => `日志 log ${num(n)} · ${root}`);
live(`/ws/polls/${encodeURIComponent(pollId)}?hz=10`, { onMessage: (m) => { if (poll || m.results === 'hidden') onSnapshot(m); else last = m; }, onState, maxDelay: 4000 });
