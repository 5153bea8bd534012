// organiser.js: the organiser's console (/organiser/{poll}). The token comes from the sign-in form
// or the URL fragment (#token=..., never sent to the server), is kept in sessionStorage, and goes
// to the server only in the Authorization header (and, for the WebSocket, which browsers cannot
// give headers, in its subprotocol: never in a URL). The big screen's link carries a screen token
// the console mints (bound to the poll, expiring, results visibility only), never this one.
//
// This module is the session: sign-in, the live connection, the "now" figures and the tally. The
// features are modules of their own, each given the context made here (no state is shared between
// them otherwise): organiser-attention.js (the flags at the top), organiser-controls.js (status,
// visibility, difficulty), organiser-turnout.js, organiser-records.js (export, audit),
// organiser-fraud.js (the fraud panel) with organiser-held.js and organiser-trusted.js; the
// sentences are in organiser-strings.js. The layout (organiser.css) puts what an organiser
// watches during the night on the first screen.
import { api, lang, langButton, live, num, pollFromPath, t as tr, text, translate } from './common.js';
import { message } from './messages.js';
import { bars } from './bars.js';
import { S } from './organiser-strings.js';
import { confirmer } from './organiser-confirm.js';
import { controls } from './organiser-controls.js';
import { turnout } from './organiser-turnout.js';
import { fraudPanel } from './organiser-fraud.js';
import { records } from './organiser-records.js';
import { attention } from './organiser-attention.js';
import { heldGroups } from './organiser-groups.js';
import { hz } from './codes.js';

const t = (k, v) => tr(S, k, v);
const $ = (id) => document.getElementById(id);
const pollId = pollFromPath();
const base = `/api/v1/polls/${encodeURIComponent(pollId)}`;

// session is what the console knows once signed in; only this module changes it.
const session = { token: '', screen: '', poll: null, snap: null, conn: '', failure: null, started: false, readOnly: false };

// ctx is what every feature gets: the sentences, the API (as the organiser), the console's error
// line, announcements, confirmations, read-only views of the poll and its last snapshot, and
// noticed(kind, data), by which features tell the attention strip what they learned ('signals':
// the fraud overview; 'audit': the last audit's answer).
const ctx = {
  t, $, base,
  admin: `/api/v1/admin/polls/${encodeURIComponent(pollId)}`,
  get poll() { return session.poll; },
  get snap() { return session.snap; },
  // call calls the API with the organiser's token. An unauthorized answer (the token stopped
  // working) is handled here, for every feature: the error is shown and the sign-in form opens.
  async call(path, opts = {}) {
    const res = await api(path, { ...opts, token: session.token });
    if (res.code === 'unauthorized') ctx.error(res);
    return res;
  },
  // error shows an API answer's error on the console's error line (null clears it).
  error(res) {
    session.failure = res;
    $('error').textContent = res ? message(lang, res) : '';
    if (res && res.code === 'unauthorized') showLogin(t('bad_token'));
  },
  // changed takes the poll's new status and results visibility after an organiser's change.
  changed(state) {
    session.snap = { ...session.snap, ...state };
    render();
  },
  announce(s) { $('announce').textContent = s; },
  confirmed: confirmer($('confirm'), t),
  render: () => render(),
  noticed: (kind, data) => flags.noticed(kind, data),
};

const flags = attention(ctx);
const fraud = fraudPanel(ctx);
const features = [flags, controls(ctx), turnout(ctx), records(ctx), fraud, heldGroups(ctx)]; // each: start() once signed in, render()
const tally = bars($('tally'), {
  labels: (c) => ({ name: text(c.city), sub: text(c.initiative) }),
  leaderText: () => t('leader'),
  votesText: (n) => t(n === 1 ? 'vote1' : 'votes'),
});

langButton($('lang'), render);
translate(S);
start();

async function start() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    save(decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  let token;
  try { token = sessionStorage.getItem('lv_token') || ''; } catch (e) { token = m ? decodeURIComponent(m[1]) : ''; }
  if (!token || !(await signIn(token))) showLogin();
}

function save(v) {
  try { sessionStorage.setItem('lv_token', v); } catch (e) { /* private mode: this page only */ }
}

function showLogin(err) {
  $('login-box').hidden = false;
  $('console').hidden = true;
  $('login-error').textContent = err || '';
  $('token').focus();
}

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const v = $('token').value.trim();
  if (session.started) {
    // Signed in before with a token that stopped working: start afresh with the new one.
    save(v);
    return location.reload();
  }
  if (await signIn(v)) {
    $('token').value = '';
    save(v);
  }
});

$('logout').addEventListener('click', () => {
  try { sessionStorage.removeItem('lv_token'); } catch (e) { /* nothing kept */ }
  location.reload();
});

// signIn checks the token: /results answers "held" to organisers only.
async function signIn(v) {
  const res = await api(`${base}/results`, { token: v });
  if (!res.ok) { showLogin(message(lang, res)); return false; }
  $('login-operator').hidden = true;
  if (!('held' in res.data)) {
    // The operator's token drives the big screen only: point there rather than refuse it.
    const op = await api(`${ctx.admin}/checklist`, { token: v });
    showLogin(t(op.ok ? 'operator_token' : 'bad_token'));
    if (op.ok) {
      $('operator-screen').href = `/screen/${encodeURIComponent(pollId)}`;
      $('login-operator').hidden = false;
    }
    return false;
  }
  // The auditor reads everything and changes nothing: a read-only console (the checklist is for
  // those who may reveal).
  const change = await api(`${ctx.admin}/checklist`, { token: v });
  session.readOnly = change.status === 403;
  document.body.classList.toggle('read-only', session.readOnly);
  $('auditor').hidden = !session.readOnly;
  if (session.readOnly) auditorRecords();
  session.token = v;
  const p = await api(base);
  if (!p.ok) { showLogin(message(lang, p)); return false; }
  session.poll = p.data;
  session.snap = { ...res.data, rate: 0 };
  $('login-box').hidden = true;
  $('console').hidden = false;
  $('logout').hidden = false;
  $('live').hidden = false;
  render();
  $('title').focus();
  session.started = true;
  api(`/api/v1/admin/polls/${encodeURIComponent(pollId)}/screen-token`, { method: 'POST', token: v }).then((r) => { session.screen = r.ok ? r.data.token : ''; render(); });
  live(`/ws/polls/${encodeURIComponent(pollId)}?hz=${hz.organiser}`, { token: () => session.token,
    onMessage: (m) => {
      // A change in the number of held ballots refreshes the fraud panel at once.
      if (session.snap && m.held !== session.snap.held) fraud.heldMoved();
      session.snap = m;
      renderNow();
    },
    onState: (s) => { session.conn = s; renderConn(); flags.connection(s); },
  });
  for (const f of features) f.start();
  return true;
}

// auditorRecords shows an auditor what to keep: the log's key and the latest checkpoint.
async function auditorRecords() {
  for (const [id, path] of [['au-key', '/api/v1/log-key'], ['au-checkpoint', `${base}/checkpoint`]]) {
    try {
      const res = await fetch(path, { cache: 'no-store' });
      $(id).textContent = res.ok ? (await res.text()).trim() : '';
    } catch (e) { /* shown empty */ }
  }
}

function render() {
  translate(S);
  const { poll } = session;
  document.title = `${t('brand')} · ${poll ? text(poll.title) : ''}`;
  if (!poll) return;
  $('title').textContent = text(poll.title);
  $('to-screen').href = `/screen/${encodeURIComponent(pollId)}` + (session.screen ? `#token=${encodeURIComponent(session.screen)}` : '');
  $('to-live').href = `/live/${encodeURIComponent(pollId)}`;
  $('to-vote').href = `/vote/${encodeURIComponent(pollId)}`;
  renderNow();
  renderConn();
  for (const f of features) f.render();
  $('error').textContent = session.failure ? message(lang, session.failure) : '';
}

function renderConn() {
  $('live').querySelector('.dot').classList.toggle('off', session.conn !== 'open');
  $('conn').textContent = session.conn === 'open' ? t('connected') : session.conn ? t('reconnecting') : '';
}

function renderNow() {
  const { snap, poll } = session;
  if (!snap || !poll) return;
  $('ballots').textContent = num(snap.ballots);
  $('rate').textContent = num(snap.rate || 0, 1);
  $('held').textContent = num(snap.held || 0);
  $('held-stat').classList.toggle('attn', snap.held > 0);
  for (const [k, v] of [['status', snap.status], ['results', snap.results]]) {
    $(k).textContent = t(v);
    $(k).className = 'badge ' + v;
    for (const b of document.querySelectorAll(`[data-set=${k}]`)) b.setAttribute('aria-pressed', String(b.dataset.value === v));
  }
  $('tally-note').textContent = snap.results === 'hidden' ? t('tally_hidden') : t('tally_public');
  tally.update(snap.tally || {}, poll.candidates);
  flags.render();
}
