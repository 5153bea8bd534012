// vote.js: the ballot (/ and /vote/{poll}). The page itself carries the poll, the voter's ballot
// and a first proof-of-work challenge (the boot block the server writes into it), so that on a slow
// network the ballot shows and the proof of work starts without another round trip; without the
// block it loads them from the API (which gives a new voter the voter cookie). It solves the
// proof-of-work in a Web Worker while the voter reads, sends the vote on an explicit Submit, and
// answers with the receipt or a sentence for the error; the number of ballots cast comes live from
// the public WebSocket. A Submit that fails for the network keeps the choice; the next tap sends
// it again (a new challenge where the last one may be used: the server never counts a voter twice).
import { api, el, lang, langSelect, live, num, pollFromPath, t as tr, text, time, translate, useLanguages } from './common.js';
import { message } from './messages.js';
import { followHeight, framed, ownTabURL } from './framed.js';
import { hz } from './codes.js';

const t = (k, v) => tr('vote', k, v);
const $ = (id) => document.getElementById(id);

let pollId = pollFromPath();
let poll = null;
let status = '';
let results = '';
let ballots = null;
let final = null; // the last snapshot once the stage has shown the whole result, else null
let done = null; // {kind: "thanks" | "already", receipt, choices, text}
let failure = null; // the last failed answer, shown in #error
let pow = null; // the current proof-of-work: {at, promise, progress, worker, failed}
let sending = false;
let unsure = false; // a vote was sent but no answer came back: it may be recorded

const boot = readBoot();
if (boot && boot.challenge) startPow(boot.challenge); // first: the worker's script loads meanwhile

// readBoot returns the page's boot block ({poll, me, challenge}), or null.
function readBoot() {
  try {
    return JSON.parse($('boot').textContent);
  } catch (e) {
    return null;
  }
}

async function start() {
  if (boot) {
    pollId = boot.poll.id;
    return show(boot.poll, boot.me, false);
  }
  if (!pollId) {
    const list = await api('/api/v1/polls');
    if (!list.ok) return loadFailed(list);
    const polls = list.data.polls;
    pollId = (polls.find((p) => p.status === 'open') || polls[0]).id;
  }
  const res = await api(`/api/v1/polls/${encodeURIComponent(pollId)}`);
  if (!res.ok) return loadFailed(res);
  const me = await api(`/api/v1/polls/${encodeURIComponent(pollId)}/me`);
  await useLanguages(res.data.languages);
  show(res.data, me.ok ? me.data : null, true);
}

// show builds the ballot of p for a voter whose ballot is me (null: unknown), and follows the poll
// live. With fetchPow it fetches a challenge; else one came with the page (or none is needed).
function show(p, me, fetchPow) {
  poll = p;
  status = poll.status;
  results = poll.results;
  langSelect($('lang'), render);
  buildBallot();
  if (me && me.voted) done = { kind: 'already', receipt: me.receipt, choices: me.choices };
  $('ballot').hidden = !!done;
  render();
  if (status === 'open' && !done && (fetchPow || !pow)) startPow();
  if (done && pow) stopPow();
  live(`/ws/polls/${encodeURIComponent(pollId)}?hz=${hz.ballot}`, {
    onMessage: onSnapshot,
    onState: (s) => $('live').querySelector('.dot').classList.toggle('off', s !== 'open'),
  });
}

function loadFailed(res) {
  const h = $('title');
  h.textContent = '';
  h.append(t('load_failed'));
  $('desc').textContent = message(lang, res);
  const again = el('button', { type: 'button', class: 'btn quiet', text: t('retry') });
  again.addEventListener('click', () => location.reload());
  $('desc').after(again);
}

function onSnapshot(m) {
  ballots = m.ballots;
  const wasFinal = final;
  final = m.results === 'revealed' && !m.withheld && m.tally ? m : null;
  const changed = m.status !== status || m.results !== results || !!final !== !!wasFinal ||
    (final && wasFinal && (JSON.stringify(final.tally) !== JSON.stringify(wasFinal.tally) || final.corrected_at !== wasFinal.corrected_at));
  status = m.status;
  results = m.results;
  if (changed) {
    render();
    if (status === 'open' && !done && !pow) startPow();
    if (status !== 'open' && pow && !sending) stopPow();
  } else {
    renderCount();
  }
}

// buildBallot makes one real input per candidate: radio buttons when one may be chosen, check
// boxes when several.
function buildBallot() {
  const many = poll.max_choices > 1;
  const box = $('cands');
  for (const c of ordered(poll.candidates)) {
    const id = 'c-' + c.id;
    const input = el('input', {
      type: many ? 'checkbox' : 'radio', name: 'choice', id, value: c.id,
      'aria-labelledby': `${id}-t ${id}-p`, 'aria-describedby': `${id}-s`,
    });
    box.append(el('label', { class: 'cand', for: id }, input,
      el('span', { class: 'cand-body' },
        el('span', { class: 'cand-place', id: `${id}-p` }),
        el('span', { class: 'cand-title', id: `${id}-t` }),
        el('span', { class: 'cand-summary', id: `${id}-s` }))));
  }
  box.addEventListener('change', () => {
    if (many) {
      const full = chosen().length >= poll.max_choices;
      for (const i of inputs()) i.disabled = full && !i.checked;
    }
    if (failure && failure.code === 'none_chosen') showFailure(null);
    renderChoice();
  });
  $('ballot').addEventListener('submit', submit);
}

// ordered is the candidates in the order this voter sees them: the ballot file's when it fixes
// the order, else an order of this voter's own (a shuffle seeded by a number this browser keeps
// for the poll), so that no place on the list is favoured and a reload shows the same order.
function ordered(cands) {
  if (poll.order === 'fixed') return cands;
  const key = `lv_order_${poll.id}`;
  let seed = 0;
  try {
    seed = Number(localStorage.getItem(key)) || 0;
    if (!seed) {
      seed = crypto.getRandomValues(new Uint32Array(1))[0] || 1;
      localStorage.setItem(key, String(seed));
    }
  } catch (e) {
    seed = seed || crypto.getRandomValues(new Uint32Array(1))[0] || 1; // storage off: this page's order
  }
  const next = () => { // mulberry32
    seed = (seed + 0x6d2b79f5) >>> 0;
    let x = seed;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...cands];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const inputs = () => [...document.querySelectorAll('input[name=choice]')];
// chosen is the checked candidates, in the ballot file's order (whatever order this voter sees).
const chosen = () => {
  const on = new Set(inputs().filter((i) => i.checked).map((i) => i.value));
  return poll.candidates.map((c) => c.id).filter((id) => on.has(id));
};
const name = (id) => {
  const c = poll.candidates.find((x) => x.id === id);
  return c ? `${text(c.city)} · ${text(c.initiative)}` : id;
};

// render writes every text of the page in the current language from the current state.
function render() {
  translate('vote');
  if (!poll) return;
  document.title = t('page_title', { t: text(poll.title) });
  $('title').textContent = text(poll.title);
  $('desc').textContent = text(poll.description);
  const many = poll.max_choices > 1;
  $('legend').textContent = status === 'closed' ? t('legend_closed') : many ? t('legend_many', { n: poll.max_choices }) : t('legend_one');
  $('rule').hidden = status === 'closed';
  $('send').hidden = status === 'closed';
  $('why').textContent = status === 'paused' ? t('why_paused') : status === 'scheduled' ? t('why_scheduled') : '';
  $('rule').textContent = (many ? t('rule_many', { n: poll.max_choices }) : t('rule_one')) +
    (poll.limit === 'daily' ? ' ' + t('rule_daily') : '');
  for (const c of poll.candidates) {
    $(`c-${c.id}-p`).textContent = t('place', { city: text(c.city), country: text(c.country) });
    $(`c-${c.id}-t`).textContent = text(c.initiative);
    $(`c-${c.id}-s`).textContent = text(c.summary);
  }
  const notice = { scheduled: poll.opens_at ? t('scheduled_at', { t: time(poll.opens_at) }) : t('scheduled'), paused: t('paused'), closed: t('closed') }[status] || '';
  if ($('notice').textContent !== notice) $('notice').textContent = notice;
  $('fields').disabled = status !== 'open';
  setBusy(sending);
  for (const a of document.querySelectorAll('.live-link')) {
    a.href = `/live/${encodeURIComponent(pollId)}`;
    a.textContent = results === 'live' || results === 'revealed' ? t('results_link') : t('live_link');
  }
  renderChoice();
  renderCount();
  renderResult();
  renderWinner();
  if (failure) showFailure(failure, false);
}

// renderWinner leads the page with the result once the stage has shown all of it.
function renderWinner() {
  const box = $('winner');
  const count = (c) => (final ? final.tally[c.id] || 0 : 0);
  const max = Math.max(0, ...poll.candidates.map(count));
  const first = max > 0 ? poll.candidates.filter((c) => count(c) === max) : [];
  box.hidden = !first.length;
  if (!first.length) return;
  const total = poll.candidates.reduce((a, c) => a + count(c), 0);
  $('w-head').textContent = t(first.length > 1 ? 'won_tie' : 'won');
  $('w-names').replaceChildren(...first.map((c) => el('li', {}, el('strong', { text: text(c.city) }), ` — ${text(c.initiative)}`)));
  $('w-text').textContent = t('won_text', { share: `${num((max / total) * 100, 1)}%`, n: num(max), total: num(total) });
  $('w-corrected').hidden = !final.corrected_at;
  $('w-corrected').textContent = final.corrected_at ? t('won_corrected', { t: time(final.corrected_at) }) : '';
}

function renderCount() {
  $('count').textContent = ballots == null ? '' : t('count', { n: ballots });
}

function renderChoice() {
  const c = chosen();
  const full = poll.max_choices > 1 && c.length >= poll.max_choices;
  $('chosen').textContent = full ? t('full', { n: c.length }) : c.length ? t('choice', { c: c.map(name).join('; ') }) : t('no_choice');
}

function renderResult() {
  const box = $('result');
  box.hidden = !done;
  const skip = document.querySelector('.skip');
  skip.href = done ? '#result' : '#ballot';
  skip.textContent = done ? t('skip_result') : t('skip');
  if (!done) return;
  box.classList.toggle('already', done.kind === 'already');
  $('result-title').textContent = done.kind === 'thanks' ? t('thanks') : t('already');
  $('result-text').textContent = done.kind === 'thanks' ? t(final ? 'thanks_text_final' : 'thanks_text') : t(poll.limit === 'daily' ? 'already_text_daily' : 'already_text');
  $('result-choice').textContent = done.choices && done.choices.length ? t('you_chose', { c: done.choices.map(name).join('; ') }) : '';
  $('receipt-box').hidden = !done.receipt;
  $('receipt-link-item').hidden = !done.receipt;
  if (done.receipt) {
    $('receipt').textContent = done.receipt;
    $('receipt-link').href = `/receipt/${encodeURIComponent(done.receipt)}`;
  }
}

function setBusy(busy) {
  const b = $('submit');
  const off = busy || status !== 'open';
  b.setAttribute('aria-disabled', String(off));
  b.disabled = status !== 'open';
  b.textContent = busy ? t('sending') : t('submit');
  $('ballot').setAttribute('aria-busy', String(busy));
}

// showFailure shows the sentence for a failed answer (null clears it) and moves focus to it.
function showFailure(res, focus = true) {
  failure = res;
  const box = $('error');
  if (!res) { box.textContent = ''; return; }
  box.textContent = res.code === 'none_chosen' ? t('none_chosen') : res.code === 'network' ? t('offline')
    : res.code === 'voter_token_required' && framed ? t('embed_blocked') : message(lang, res, poll.limit === 'daily');
  if (focus) box.focus();
}

// startPow solves a challenge for one vote attempt in a Web Worker: the given one, else one it
// fetches. A job that failed (no challenge, for the network or a pause) is marked failed, so that
// the next Submit starts a new one instead of repeating the failure.
function startPow(given) {
  stopPow();
  const job = { at: Date.now(), progress: 0, worker: null, onProgress: null, failed: false };
  job.promise = (async () => {
    let c = given;
    if (!c) {
      const res = await api(`/api/v1/polls/${encodeURIComponent(pollId)}/challenge`);
      if (!res.ok) throw res;
      c = res.data;
    }
    if (c.algorithm === 'none') return null;
    const number = await new Promise((resolve, reject) => {
      const w = new Worker('/static/pow.js');
      job.worker = w;
      w.onmessage = (e) => {
        if ('progress' in e.data) {
          job.progress = e.data.progress;
          if (job.onProgress) job.onProgress();
          return;
        }
        w.terminate();
        job.worker = null;
        if (e.data.number >= 0) resolve(e.data.number);
        else reject({ code: 'challenge_failed' });
      };
      w.onerror = () => { w.terminate(); job.worker = null; reject({ code: 'internal' }); };
      w.postMessage({ salt: c.salt, challenge: c.challenge, max: c.max_number });
    });
    return { algorithm: c.algorithm, challenge: c.challenge, number, salt: c.salt, signature: c.signature };
  })();
  job.promise.then(() => { if (pow === job) $('ballot').dataset.ready = 'true'; }, () => { job.failed = true; }); // errors: answered at Submit
  pow = job;
}

function stopPow() {
  if (pow && pow.worker) pow.worker.terminate();
  pow = null;
  delete $('ballot').dataset.ready;
}

// solution waits for the proof-of-work of this attempt; when that takes more than a moment it
// shows how far it got.
async function solution() {
  if (!pow || pow.failed || Date.now() - pow.at > 9 * 60 * 1000) startPow(); // a challenge lives 10 minutes
  const job = pow;
  pow = null; // a challenge is good for one attempt
  delete $('ballot').dataset.ready;
  const bar = $('progress-bar');
  const show = () => {
    $('progress').hidden = false;
    const p = Math.floor(job.progress * 100);
    bar.value = p;
    $('progress-label').textContent = t('securing', { p });
  };
  const timer = setTimeout(() => { show(); announce(t('securing_start')); job.onProgress = show; }, 400);
  try {
    return await job.promise;
  } finally {
    clearTimeout(timer);
    job.onProgress = null;
    $('progress').hidden = true;
  }
}

async function submit(e) {
  e.preventDefault();
  if (sending) return;
  if (status !== 'open') return showFailure({ code: 'voting_closed' });
  const choices = chosen();
  if (!choices.length) return showFailure({ code: 'none_chosen' });
  showFailure(null);
  sending = true;
  setBusy(true);
  let res;
  let sent = null; // the proof of work of the last request
  try {
    for (let attempt = 0; ; attempt++) {
      let pw;
      try {
        pw = await solution();
      } catch (err) {
        res = err.code ? err : { code: 'internal' };
        if (res.code === 'challenge_failed' && attempt === 0) continue;
        break;
      }
      announce(t('sending'));
      const body = {
        choices,
        website: $('website').value,
        client: { webdriver: navigator.webdriver === true, elapsed_ms: Math.round(performance.now()) },
      };
      if (pw) body.pow = pw;
      sent = { pw, at: Date.now() };
      res = await api(`/api/v1/polls/${encodeURIComponent(pollId)}/votes`, { method: 'POST', body });
      if (res.code === 'network') unsure = true;
      // A challenge may have expired or the organiser may have raised the difficulty: once, the
      // vote is sent again with a new one.
      if (!res.ok && res.code === 'challenge_failed' && attempt === 0) continue;
      break;
    }
  } finally {
    sending = false;
    setBusy(false);
  }
  if (res.ok) {
    done = { kind: 'thanks', receipt: res.data.receipt, choices: res.data.choices };
    return finish();
  }
  if (res.code === 'already_voted') {
    const me = await api(`/api/v1/polls/${encodeURIComponent(pollId)}/me`);
    const mine = me.ok ? me.data.choices : [];
    // An earlier Submit of these very choices whose answer was lost reached the server after all.
    const ours = unsure && mine.length === choices.length && mine.every((c) => choices.includes(c));
    done = { kind: ours ? 'thanks' : 'already', receipt: me.ok ? me.data.receipt : '', choices: mine };
    return finish();
  }
  if (res.code === 'voting_closed') {
    const p = await api(`/api/v1/polls/${encodeURIComponent(pollId)}`);
    if (p.ok) status = p.data.status;
    render();
  }
  showFailure(res);
  if (status !== 'open') return;
  if (res.code === 'network' && sent) { // maybe it never arrived: the next tap sends the same proof again
    pow = { at: sent.at, progress: 1, worker: null, failed: false, promise: Promise.resolve(sent.pw) };
    $('ballot').dataset.ready = 'true';
  } else {
    startPow();
  }
}

function finish() {
  stopPow();
  failure = null;
  $('ballot').hidden = true;
  render();
  $('result').focus();
}

function announce(s) {
  $('announce').textContent = s;
}

// Last, once every declaration above is initialised (with the boot block start runs at once).
if (boot) await useLanguages(boot.poll.languages);
if (framed) { // the other pages may not be framed: they open in a tab of their own
  for (const a of document.querySelectorAll('#receipt-link, .live-link')) { a.target = '_blank'; a.rel = 'noopener'; }
  $('own-tab').hidden = false;
  $('own-tab-link').href = ownTabURL();
  followHeight();
}
start();
