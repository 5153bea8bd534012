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
// (/screen/{poll}#token=..., the screen token of the console's link, or the operator's), which
// browsers never send to the server, or from the dialog that O opens; it is kept in
// sessionStorage and sent only in an Authorization header, and in the live connection's
// subprotocol, where it keeps the screen in the reserved pool (it still watches as the public:
// view=public). R, pressed twice,
// reveals the results. H (signed in) shows or hides a small operator overlay with the keys and
// the answers to them; it is off by default.
import { api, el, live, num, pollFromPath } from './common.js';
import { bars } from './bars.js';
import { showCheckpoint } from './checkpoint.js';
import { screenLanguages } from './screen-langs.js';
import { hz } from './codes.js';

const $ = (id) => document.getElementById(id);
const pollId = pollFromPath();
const STATUS = { scheduled: 'status_scheduled', paused: 'status_paused', closed: 'status_closed' };
let L = await screenLanguages(['zh', 'en']); // the screen's languages, once the poll names them

let token = takeToken();
let overlay = !!token && stored('lv_overlay') === '1';
let poll = null;
let last = null; // the last snapshot shown
let paused = false; // P: the presenter's keys do nothing (a stray click cannot move the reveal)
let sent = null; // {withheld, until}: a step this screen asked for, shown before the hub's message
const rehearsal = new URLSearchParams(location.search).has('rehearsal') ? { tally: null, results: 'hidden', withheld: 0 } : null;
const winner = { on: false, timer: 0, seen: false }; // the winner view: shown, pending, shown once
const board = bars($('bars'), {
  labels: (c) => ({ name: `${L.text(0, c.city)} ${L.text(1, c.city)}`.trim(), sub: [L.text(0, c.initiative), L.text(1, c.initiative)].filter(Boolean).join(' · ') }),
  leaderText: (n) => leaderWord(n),
  votesText: (n) => L.one(L.tags.length - 1, 'votes_unit', { n }),
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

const withheldOf = (m) => (m && m.results === 'revealed' ? m.withheld || 0 : 0);

function show(m) {
  const before = last;
  last = m;
  // One figure per meaning: beside shares, the votes they are shares of; else the ballots received.
  const shares = m.results !== 'hidden' && !!m.tally && withheldOf(m) === 0;
  setCount(shares ? Object.values(m.tally).reduce((a, n) => a + n, 0) : m.ballots);
  $('count-label').replaceChildren(...L.spans(shares ? 'votes_counted' : 'ballots_received'));
  $('rate-box').hidden = false;
  $('rate').textContent = num(m.rate, m.rate < 10 ? 1 : 0);
  $('status').hidden = !STATUS[m.status];
  $('status').textContent = STATUS[m.status] ? L.both(STATUS[m.status]) : '';
  // Before the opening: when voting opens (in the poll's time zone) instead of a count of 0.
  const pre = m.status === 'scheduled';
  document.body.classList.toggle('pre-show', pre);
  if (pre && poll && poll.opens_at) {
    $('status').replaceChildren(...L.tags.flatMap((tag, i) => [i ? ' ' : null,
      el('span', { lang: L.locales[i] }, L.one(i, 'opens', { time: clock(poll.opens_at, L.locales[i], true) }))]).filter((x) => x !== null));
  }
  const pub = m.results !== 'hidden' && !!m.tally;
  // The QR code asks people to vote: while they can (and before, to be ready), small beside the
  // results when they show.
  const qr = m.status === 'open' || pre;
  $('qr-box').hidden = !qr;
  document.body.classList.toggle('qr-on', qr);
  if (!pub) {
    hideWinner();
    winner.seen = false;
    board.clear();
    $('stage-note').hidden = true;
    $('correction').hidden = true;
    setMode('hidden');
    return;
  }
  setMode('results');
  showCorrection(m);
  const w = withheldOf(m);
  const staged = w > 0;
  $('stage-note').hidden = !staged;
  if (staged) {
    $('stage-note').replaceChildren(...L.spans('places_to_come', { n: w }, ' · '));
    hideWinner();
    winner.seen = false;
    $('bars').classList.remove('final');
    board.update(m.tally, poll ? poll.candidates : [], new Set(Object.keys(m.tally)));
    return;
  }
  $('bars').classList.toggle('final', m.results === 'revealed');
  if (m.results !== 'revealed') {
    hideWinner();
    winner.seen = false;
  } else if (!winner.seen && !winner.timer) {
    // The last place just shown: the bars a moment, then the winner; opened after the reveal: at once.
    winner.timer = setTimeout(showWinner, withheldOf(before) > 0 ? 3500 : 1500);
  }
  board.update(m.tally, poll ? poll.candidates : []);
  if (winner.on) renderWinner();
}

// showCorrection says, with its time, that the revealed result changed afterwards.
function showCorrection(m) {
  const at = m.results === 'revealed' && m.corrected_at;
  $('correction').hidden = !at;
  if (!at) return;
  $('correction').replaceChildren(...L.tags.flatMap((tag, i) => [i ? ' · ' : null,
    el('span', { lang: L.locales[i] }, L.one(i, 'corrected', { time: clock(at, L.locales[i]) }))]).filter((x) => x !== null));
}
// clock is the time of an RFC 3339 instant in the poll's time zone (and its date, with day),
// then the zone's name.
function clock(at, locale, day) {
  const opts = { hour: '2-digit', minute: '2-digit', ...(day ? { weekday: 'short', month: 'short', day: 'numeric' } : {}) };
  const tz = poll && poll.time_zone;
  let f;
  try {
    f = new Intl.DateTimeFormat(locale, { ...opts, timeZone: tz });
  } catch (e) {
    f = new Intl.DateTimeFormat(locale, opts);
  }
  let zone = '';
  try {
    zone = new Intl.DateTimeFormat('en-GB', { timeZone: tz, timeZoneName: 'short' }).formatToParts(new Date(at)).find((p) => p.type === 'timeZoneName').value;
  } catch (e) { /* no zone name */ }
  return `${f.format(new Date(at))} ${zone}`.trim();
}

function setMode(mode) {
  document.body.classList.toggle('mode-hidden', mode === 'hidden');
  document.body.classList.toggle('mode-results', mode === 'results');
  $('results').hidden = mode !== 'results' || winner.on;
}

// The winner view: the first place (every one of them in a tie) in large type.
function showWinner() {
  clearTimeout(winner.timer);
  winner.timer = 0;
  if (!last || last.results !== 'revealed' || withheldOf(last) > 0 || !last.tally || !poll) return;
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
      el('span', { class: 'w-votes' }, ...L.tags.flatMap((tag, i) => [i ? ' ' : null, el('span', { lang: L.locales[i] },
        L.one(i, 'n_votes_of', { n: max, total: new Intl.NumberFormat(L.locales[i]).format(total) }))]).filter((x) => x !== null))))));
  document.body.classList.add('mode-winner');
  $('winner').hidden = false;
  $('results').hidden = true;
}

// The presenter drives the reveal: next shows the next place (from the last up), back takes the
// last shown back; once every place is shown, next and back switch between the bars and the
// winner view. The step is the server's (every screen and page follows it); this screen shows it
// from the answer to its own request, before any other page gets it.
function next() {
  if (rehearsal && rehearsal.results === 'revealed') return rehearse(rehearsal.withheld - 1);
  const w = withheldOf(last);
  if (w > 0) return step(w - 1);
  if (last && last.results === 'revealed' && last.tally) {
    if (winner.on) hideWinner();
    else showWinner();
  }
}
function back() {
  if (winner.on) return hideWinner();
  if (rehearsal && rehearsal.results === 'revealed') return rehearse(rehearsal.withheld + 1);
  if (last && last.results === 'revealed') step(withheldOf(last) + 1);
}
async function step(withheld) {
  if (!token) return hint('h_sign_in');
  const res = await api(`/api/v1/admin/polls/${encodeURIComponent(pollId)}/reveal`, { method: 'POST', body: { withheld }, token });
  if (!res.ok) return hint(res.code === 'invalid_request' ? 'h_no_back' : res.code === 'unauthorized' ? 'h_bad_token' : 'h_step_failed', { code: res.code });
  sent = { withheld, until: Date.now() + 2000 };
  show({ ...last, ...res.data });
  hint('places_to_come', { n: withheld });
}

// Rehearsal (/screen/{poll}?rehearsal): the whole night on made-up numbers, in this browser only.
// Nothing is sent to the server and the real tally is never asked for.
function dummyTally() {
  const t = {};
  poll.candidates.forEach((c, i) => { t[c.id] = ((i * 7919) % 97) + (i % 3 === 0 ? 40 : 5); });
  return t;
}
// places mirrors vote.Places: the places from the last up, a tie at one place.
function places(tally) {
  const ids = Object.keys(tally).sort((a, b) => tally[a] - tally[b] || a.localeCompare(b));
  const out = [];
  ids.forEach((id, i) => { if (i > 0 && tally[ids[i - 1]] === tally[id]) out[out.length - 1].push(id); else out.push([id]); });
  return out;
}
function rehearse(withheld) {
  if (!poll) return;
  rehearsal.tally = rehearsal.tally || dummyTally();
  const ps = places(rehearsal.tally);
  if (withheld < 0 || withheld > ps.length) return;
  rehearsal.results = 'revealed';
  rehearsal.withheld = withheld;
  const tally = {};
  ps.slice(0, ps.length - withheld).flat().forEach((id) => { tally[id] = rehearsal.tally[id]; });
  const ballots = Object.values(rehearsal.tally).reduce((a, b) => a + b, 0);
  show({ status: 'closed', results: 'revealed', withheld, tally, ballots, rate: 0 });
}

// The checklist before the reveal (R): what was received, counted, held and pending, ties for
// first place. Revealing with held or pending ballots needs the box ticked (the server asks for
// the same confirmation).
async function checklist() {
  const res = await api(`/api/v1/admin/polls/${encodeURIComponent(pollId)}/checklist`, { token });
  if (!res.ok) return hint(res.code === 'unauthorized' ? 'h_bad_token' : 'h_check_failed', { code: res.code });
  const c = res.data;
  // Each row: the figure, then its label in the screen's languages (in the forms for the figure).
  const row = (key, n, bad) => el('li', { class: bad ? 'c-warn' : '' }, el('span', { class: 'c-n' }, num(n)), ' ', ...L.spans(key, { n }, ' · '));
  const tieBreak = c.tie_break && L.tags.map((tag, i) => L.text(i, c.tie_break));
  $('check-list').replaceChildren(
    row('c_received', c.received),
    row('c_counted', c.counted),
    row('c_held', c.held, c.held > 0),
    row('c_pending', c.pending, c.pending > 0),
    row('c_void', c.void),
    auditRow(c),
    row('c_tied', c.tied_first, c.tied_first > 1),
    ...(tieBreak ? [el('li', {}, ...L.tags.flatMap((tag, i) => [i ? ' · ' : null, el('span', { lang: L.locales[i] }, tieBreak[i])]).filter((x) => x !== null))] : []));
  $('check-confirm-row').hidden = !c.confirm_needed;
  $('check-confirm').checked = false;
  $('check-go').disabled = c.confirm_needed;
  $('check').returnValue = ''; // Escape keeps the last one: it must not reveal
  $('check').showModal();
}
// auditRow is the checklist's line on the audit since the close: when it ran and what it found.
function auditRow(c) {
  const at = c.audited_at;
  const key = !at ? 'c_audit_none' : c.audit_consistent ? 'c_audit_ok' : 'c_audit_diff';
  return el('li', { class: at && c.audit_consistent ? '' : 'c-warn' }, el('span', { class: 'c-n' }, !at ? '–' : c.audit_consistent ? '✓' : '✗'), ' ',
    ...L.tags.flatMap((tag, i) => [i ? ' · ' : null, el('span', { lang: L.locales[i] }, L.one(i, key, { time: at ? clock(at, L.locales[i]) : '' }))]).filter((x) => x !== null));
}
$('check-confirm').addEventListener('change', () => { $('check-go').disabled = !$('check-confirm').checked; });
$('check').addEventListener('close', () => {
  if ($('check').returnValue === 'ok') reveal($('check-confirm').checked);
});

// Keys (presentation clickers send Page Down / Page Up or the arrows): Space, →, Page Down or a
// click: next step; ←, Page Up: back; P: pause (the keys do nothing until P again); O: sign in;
// R: the checklist, then reveal; H: the operator overlay (signed in).
document.addEventListener('keydown', (e) => {
  if (e.target.closest('dialog[open]')) return; // typing the token; once closed, keys count even before focus leaves it
  const k = e.key;
  if (k === ' ' || k === 'ArrowRight' || k === 'PageDown' || k === 'ArrowLeft' || k === 'PageUp') {
    e.preventDefault();
    if (paused) return hint('h_paused');
    if (k === 'ArrowLeft' || k === 'PageUp') back();
    else next();
  } else if (k === 'p' || k === 'P') {
    paused = !paused;
    hint(paused ? 'h_paused' : 'h_resumed');
  } else if (k === 'o' || k === 'O') {
    e.preventDefault(); // else the key lands in the token field the dialog focuses
    $('login').showModal();
  } else if ((k === 'h' || k === 'H') && token) {
    overlay = !overlay;
    store('lv_overlay', overlay ? '1' : '0');
    showOverlay();
  } else if ((k === 'r' || k === 'R') && rehearsal && rehearsal.results !== 'revealed') {
    rehearse(places(rehearsal.tally || dummyTally()).length);
  } else if ((k === 'r' || k === 'R') && last && last.results !== 'revealed') {
    e.preventDefault();
    if (!token) return $('login').showModal();
    checklist();
  }
});
$('stage').addEventListener('click', () => { if (!paused) next(); });
$('login').addEventListener('close', () => {
  const v = $('login-token').value.trim();
  $('login-token').value = '';
  if ($('login').returnValue !== 'ok' || !v) return;
  token = v;
  store('lv_token', v);
  hint('h_signed_in');
});

async function reveal(confirm) {
  const res = await api(`/api/v1/admin/polls/${encodeURIComponent(pollId)}/results`, { method: 'POST', body: { results: 'revealed', confirm }, token });
  hint(res.ok ? 'h_reveal_started' : res.code === 'unauthorized' ? 'h_bad_token' : 'h_reveal_failed', { code: res.code });
  if (res.ok && last) show({ ...last, results: 'revealed', withheld: res.data.withheld, tally: {} });
}

// The operator overlay: the keys and the last answer to one (a catalogue key and its values), in
// the screen's languages, only while the organiser has it on.
let lastHint = null;
function hint(key, vars) {
  lastHint = { key, vars };
  showOverlay();
}
function showOverlay() {
  const msg = lastHint ? [...L.spans(lastHint.key, lastHint.vars, ' · '), ' — '] : [];
  $('org').replaceChildren(...msg, ...L.spans('h_keys', {}, ' · '));
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
  if (rehearsal) show({ status: 'closed', results: 'hidden', ballots: 0, rate: 0 });
  else if (last) show(last);
}

// labelScreen writes the screen's own labels (data-s) and its languages (lang) in the screen's
// languages.
function labelScreen() {
  document.documentElement.lang = L.locales[0];
  $('title-zh').lang = L.locales[0];
  $('title-en').lang = L.locales[L.tags.length - 1];
  for (const e of document.querySelectorAll('[data-s]')) e.replaceChildren(...L.spans(e.dataset.s, {}, e.dataset.sep));
  for (const e of document.querySelectorAll('[data-s-label]')) e.setAttribute('aria-label', L.both(e.dataset.sLabel));
  showOverlay();
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
    svg.setAttribute('aria-label', L.one(0, 'qr_label', { url }));
    $('qr').replaceChildren(document.importNode(svg, true));
    $('url').textContent = url.replace(/^https?:\/\//, '');
  } catch (e) {
    setTimeout(loadQR, 3000);
  }
}

showOverlay();
loadPoll();
loadQR();
showCheckpoint($('log'), pollId, (n, root) => `${L.both('log_entries', ' · ', { n })} · ${root}`);
if (rehearsal) $('rehearsal').hidden = false;
// onSnapshot takes the hub's snapshots: none in a rehearsal; an older step than the one this
// screen just asked for is not shown back (the hub's message of it follows within a tick).
function onSnapshot(m) {
  if (rehearsal) return;
  if (sent && Date.now() < sent.until && m.results === 'revealed' && withheldOf(m) !== sent.withheld) return;
  sent = null;
  show(m);
}
live(`/ws/polls/${encodeURIComponent(pollId)}?hz=${hz.screen}&view=public`, { token: () => token, onMessage: (m) => { if (poll || m.results === 'hidden') onSnapshot(m); else last = m; }, onState, maxDelay: 4000 });
