// screen.js: the big screen at the ceremony (/screen/{poll}), in the two languages its ballot file
// names for it (screen_languages; Chinese and English for the built-in ballot) at once.
//
// It watches the poll as the public does (so that a hidden tally never reaches it, whoever runs
// it): the ballot count rising smoothly, the rate, the QR code of the ballot while voting is open;
// once the results are public, a bar per candidate in two columns. Whenever the results become
// revealed (from hidden or from live) the reveal is staged: the candidates appear from the last
// place up, the top three one by one (a tie at one step), the leader last; then the winner view
// (the initiative, its city, its share; a tie shows every winner). Space or → moves to the next
// step at once, and after the reveal switches between the winner view and the bars. While voting
// is open the first place is "Leader"; once closed, "Winner". The poll's branding (logo, colours)
// comes from its ballot file.
//
// Nothing meant for the organiser shows on the projected image unless they ask: an organiser may
// drive the reveal from the screen's keyboard with a token from the URL fragment
// (/screen/{poll}#token=...), which browsers never send to the server, or from the dialog that O
// opens; it is kept in sessionStorage and sent only in an Authorization header. R, pressed twice,
// reveals the results. H (signed in) shows or hides a small operator overlay with the keys and
// the answers to them; it is off by default.
import { api, el, live, num, pollFromPath } from './common.js';
import { bars } from './bars.js';
import { showCheckpoint } from './checkpoint.js';
import { screenLanguages } from './screen-langs.js';

const $ = (id) => document.getElementById(id);
const pollId = pollFromPath();
const STATUS = { scheduled: 'status_scheduled', paused: 'status_paused', closed: 'status_closed' };
let L = await screenLanguages(['zh', 'en']); // the screen's languages, once the poll names them

let token = takeToken();
let overlay = !!token && stored('lv_overlay') === '1';
let poll = null;
let last = null; // the last snapshot shown
let staging = null; // {shown: Set, steps: [[ids], last place first], next, timer}
const winner = { on: false, timer: 0, seen: false }; // the winner view: shown, pending, shown once
const board = bars($('bars'), {
  labels: (c) => ({ name: `${L.text(0, c.city)} ${L.text(1, c.city)}`.trim(), sub: [L.text(0, c.initiative), L.text(1, c.initiative)].filter(Boolean).join(' · ') }),
  leaderText: (n) => leaderWord(n),
  votesText: () => L.one(L.tags.length - 1, 'votes'),
  columns: 2,
});

// leaderWord is the mark of the first place: "Leader" while voting may go on, final once closed.
// (Two lines: the mark stands in the narrow rank column.)
function leaderWord(n) {
  if (last && last.status === 'closed') return L.both(n > 1 ? 'tied_first' : 'winner', '\n');
  return L.both(n > 1 ? 'tied_lead' : 'leader', '\n');
}

function stored(key) {
  try { return sessionStorage.getItem(key); } catch (e) { return null; }
}
function store(key, v) {
  try { sessionStorage.setItem(key, v); } catch (e) { /* private mode */ }
}

// takeToken moves an organiser token from the URL fragment to sessionStorage and out of the URL.
function takeToken() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    store('lv_token', decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return stored('lv_token') || (m ? decodeURIComponent(m[1]) : '');
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
  $('status').textContent = STATUS[m.status] ? L.both(STATUS[m.status]) : '';
  const pub = m.results !== 'hidden' && !!m.tally;
  // The QR code asks people to vote: only while they can, and not over the results.
  $('qr-box').hidden = m.status !== 'open' || pub;
  if (!pub) {
    stopStaging();
    hideWinner();
    winner.seen = false;
    board.clear();
    setMode('hidden');
    return;
  }
  setMode('results');
  if (m.results === 'revealed' && before && before.results !== 'revealed' && !staging) {
    hideWinner();
    winner.seen = false;
    board.clear();
    startStaging(m.tally);
  }
  if (m.results !== 'revealed') {
    hideWinner();
    winner.seen = false;
  } else if (!staging && !winner.seen && !winner.timer) {
    winner.timer = setTimeout(showWinner, 1500); // opened after the reveal
  }
  board.update(m.tally, poll ? poll.candidates : [], staging ? staging.shown : undefined);
  if (winner.on) renderWinner();
}

function setMode(mode) {
  document.body.classList.toggle('mode-hidden', mode === 'hidden');
  document.body.classList.toggle('mode-results', mode === 'results');
  $('results').hidden = mode !== 'results' || winner.on;
}

// The staged reveal: the places from the last up, one step each, a tie among the first three at
// one step (a tie is shown as one), the first place last.
function startStaging(tally) {
  const count = (c) => tally[c.id] || 0;
  const asc = [...poll.candidates].sort((a, b) => count(a) - count(b) || b.id.localeCompare(a.id));
  const steps = [];
  for (const c of asc) {
    const rank = 1 + asc.filter((x) => count(x) > count(c)).length;
    const prev = steps[steps.length - 1];
    if (rank <= 3 && prev && count(poll.candidates.find((x) => x.id === prev[0])) === count(c)) prev.push(c.id);
    else steps.push([c.id]);
  }
  staging = { shown: new Set(), steps, next: 0, timer: 0 };
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
  for (const id of s.steps[s.next++]) s.shown.add(id);
  const left = s.steps.length - s.next;
  if (last && last.tally) board.update(last.tally, poll.candidates, s.shown);
  if (left === 0) {
    stopStaging();
    winner.timer = setTimeout(showWinner, 3500);
    return;
  }
  schedule(left > 3 ? 700 : left === 3 ? 2600 : 3200);
}
function stopStaging() {
  if (!staging) return;
  clearTimeout(staging.timer);
  staging = null;
  $('bars').classList.add('final');
  if (last && last.tally) board.update(last.tally, poll.candidates);
}

// The winner view: the first place (every one of them in a tie) in large type.
function showWinner() {
  clearTimeout(winner.timer);
  winner.timer = 0;
  if (!last || last.results !== 'revealed' || !last.tally || !poll) return;
  winner.on = true;
  winner.seen = true;
  renderWinner();
}
function hideWinner() {
  clearTimeout(winner.timer);
  winner.timer = 0;
  winner.on = false;
  document.body.classList.remove('mode-winner');
  $('winner').hidden = true;
  $('results').hidden = !document.body.classList.contains('mode-results');
}
function renderWinner() {
  const count = (c) => last.tally[c.id] || 0;
  const max = Math.max(0, ...poll.candidates.map(count));
  const total = poll.candidates.reduce((s, c) => s + count(c), 0);
  const first = max > 0 ? poll.candidates.filter((c) => count(c) === max) : [];
  if (!first.length) return hideWinner();
  const closed = last.status === 'closed';
  const tie = first.length > 1;
  $('w-kicker').textContent = L.both(closed ? (tie ? 'w_tied_first' : 'w_winner') : (tie ? 'w_tied_lead' : 'w_leading'));
  $('w-list').className = 'w-list' + (tie ? ' tie' : '');
  $('w-list').replaceChildren(...first.map((c) => el('div', { class: 'w-one', 'data-id': c.id },
    el('p', { class: 'w-city', lang: L.locales[0] }, L.text(0, c.city), L.tags[1] ? el('span', { class: 'w-city-en', lang: L.locales[1] }, `${L.text(1, c.city)} · ${L.text(1, c.country)}`) : null),
    el('p', { class: 'w-ini', lang: L.locales[0] }, L.text(0, c.initiative)),
    L.tags[1] ? el('p', { class: 'w-ini-en', lang: L.locales[1] }, L.text(1, c.initiative)) : null,
    el('p', { class: 'w-share' }, `${num((max / total) * 100, 1)}%`,
      el('span', { class: 'w-votes' }, ...L.tags.flatMap((tag, i) => [i ? ' ' : null, el('span', { lang: L.locales[i] }, L.one(i, 'n_votes', { n: max }))]).filter((x) => x !== null))))));
  document.body.classList.add('mode-winner');
  $('winner').hidden = false;
  $('results').hidden = true;
}

// Keys: Space or → next step of the reveal, then winner view ⇄ bars; O organiser sign-in; R twice:
// reveal (organiser); H the operator overlay (organiser).
let armed = 0;
document.addEventListener('keydown', (e) => {
  if (e.target.closest('dialog[open]')) return; // typing the token; once closed, keys count even before focus leaves it
  if (e.key === ' ' || e.key === 'ArrowRight') {
    if (staging) {
      e.preventDefault();
      step();
    } else if (last && last.results === 'revealed' && last.tally) {
      e.preventDefault();
      if (winner.on) hideWinner();
      else showWinner();
    }
  } else if (e.key === 'o' || e.key === 'O') {
    e.preventDefault(); // else the key lands in the token field the dialog focuses
    $('login').showModal();
  } else if ((e.key === 'h' || e.key === 'H') && token) {
    overlay = !overlay;
    store('lv_overlay', overlay ? '1' : '0');
    showOverlay();
  } else if ((e.key === 'r' || e.key === 'R') && last && last.results !== 'revealed') {
    if (!token) {
      e.preventDefault();
      return $('login').showModal();
    }
    if (Date.now() - armed > 5000) {
      armed = Date.now();
      return hint('再按 R 揭晓结果 · Press R again to reveal the results');
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
  store('lv_token', v);
  hint('组织者已登录 · Organiser signed in');
});

async function reveal() {
  const res = await api(`/api/v1/admin/polls/${encodeURIComponent(pollId)}/results`, { method: 'POST', body: { results: 'revealed' }, token });
  hint(res.ok ? '已揭晓 · Revealed' : res.code === 'unauthorized' ? '令牌无效 · Token not accepted' : '未能揭晓 · Reveal failed: ' + res.code);
}

// The operator overlay: the keys and the last answer to one, only while the organiser has it on.
function hint(s) {
  $('org').dataset.last = s;
  showOverlay();
}
function showOverlay() {
  const keys = '组织者 · Organiser: R R reveal · Space next · H hide';
  const msg = $('org').dataset.last;
  $('org').textContent = msg ? `${msg} — ${keys}` : keys;
  $('org').hidden = !(overlay && token);
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
  L = await screenLanguages(poll.screen_languages || ['zh', 'en']);
  labelScreen();
  $('title-zh').textContent = L.text(0, poll.title);
  $('title-en').textContent = L.text(1, poll.title);
  document.title = [L.text(0, poll.title), L.text(1, poll.title)].filter(Boolean).join(' · ');
  brand(poll.branding);
  if (last) onSnapshot(last);
}

// labelScreen writes the screen's own labels (data-s) and its languages (lang) in the screen's
// languages.
function labelScreen() {
  document.documentElement.lang = L.locales[0];
  $('title-zh').lang = L.locales[0];
  $('title-en').lang = L.locales[L.tags.length - 1];
  for (const e of document.querySelectorAll('[data-s]')) e.replaceChildren(...L.spans(e.dataset.s));
}

// brand dresses the screen in the poll's logo and colours (served by livevote: the API gives a
// path of this origin).
function brand(b) {
  if (!b) return;
  if (b.logo && b.logo.startsWith('/')) {
    $('logo').src = b.logo;
    $('logo').hidden = false;
  }
  if (b.background) document.documentElement.style.setProperty('--s-bg', b.background);
  if (b.accent) document.documentElement.style.setProperty('--s-accent', b.accent);
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

showOverlay();
loadPoll();
loadQR();
showCheckpoint($('log'), pollId, (n, root) => `日志 log ${num(n)} · ${root}`);
live(`/ws/polls/${encodeURIComponent(pollId)}?hz=10`, { onMessage: (m) => { if (poll || m.results === 'hidden') onSnapshot(m); else last = m; }, onState, maxDelay: 4000 });
