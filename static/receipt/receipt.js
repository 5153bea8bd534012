// receipt.js: checks a receipt (/receipt/{receipt}) with GET /api/v1/receipts/{receipt}. It says
// whether the ballot is recorded, and nothing more: a ballot held for review looks the same. Then
// it checks, in the browser (logproof.js), that the ballot is in the signed public log with its
// choice, and says that first ("Recorded: Kazan · …, verified."), the technical details folded.
// Once the log is open (after the reveal) the proof carries the ballot's sealed entry and its
// reviews, checked the same way: the page then says whether it was counted at once, released
// after a hold, or voided.
import { api, CATALOGUES, lang, langSelect, t as tr, text, time, translate, useLanguages } from './common.js';
import { LogError, verifyInclusion } from './logproof.js';
import { message } from './messages.js';

const t = (k, v) => tr('receipt', k, v);
const $ = (id) => document.getElementById(id);
let answer = null; // a failed API answer ({code}), or {ok, receipt, data, title}
let logState = null; // {state: checking|pending|later|ok|failed|unsupported, ...}
let checkId = 0; // the latest check; an older one's results are dropped

await useLanguages(CATALOGUES);
langSelect($('lang'), render);
render();
const first = normalise(decodeURIComponent(location.pathname.split('/')[2] || ''));
$('code').value = first;
if (first) check(first, false);
$('copy').addEventListener('click', copy);

// normalise turns what a person typed or pasted into a receipt code: receipts are lowercase
// base32 (a-z, 2-7), so capitals become small letters, spaces, dashes and other marks go, and the
// digits 0 and 1, which receipts never have, are read as the letters o and l.
function normalise(s) {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '').replace(/0/g, 'o').replace(/1/g, 'l');
}

// copy puts the code on the clipboard (or, where the page may not, asks the person to).
async function copy() {
  let ok = false;
  try {
    await navigator.clipboard.writeText($('code').value);
    ok = true;
  } catch (e) {
    $('code').select();
    ok = document.execCommand && document.execCommand('copy');
  }
  $('copy-done').textContent = ok ? t('copied') : t('copy_failed');
}

// links points back to the ballot and the live page of poll (unknown: "", the ballot's start).
function links(poll) {
  const id = encodeURIComponent(poll);
  $('to-ballot').href = poll ? `/vote/${id}` : '/';
  $('to-live').href = `/live/${id}`;
  $('to-live-item').hidden = !poll;
}

$('check').addEventListener('submit', (e) => {
  e.preventDefault();
  const code = normalise($('code').value);
  $('code').value = code;
  if (!code) return;
  history.replaceState(null, '', `/receipt/${encodeURIComponent(code)}`);
  check(code, true);
});

async function check(code, focus) {
  const id = ++checkId;
  $('answer').className = 'notice';
  $('answer').textContent = t('checking');
  logState = null;
  const res = await api(`/api/v1/receipts/${encodeURIComponent(code)}`);
  answer = res.ok ? { ok: true, receipt: code, data: res.data } : res;
  if (res.ok) {
    const p = await api(`/api/v1/polls/${encodeURIComponent(res.data.poll)}`);
    answer.title = p.ok ? p.data.title : { en: res.data.poll, zh: res.data.poll };
    answer.candidates = p.ok ? p.data.candidates || [] : [];
  }
  links(res.ok ? res.data.poll : '');
  render();
  if (focus) $('answer').focus();
  if (res.ok) checkLog(code, id);
}

// checkLog fetches the ballot's inclusion proof and the log key, and verifies them; while the
// ballot is not yet in a checkpoint (202) it asks again a few times.
async function checkLog(code, id) {
  for (let tries = 0; id === checkId; tries++) {
    logState = { state: tries ? 'pending' : 'checking' };
    render();
    const [proof, key] = await Promise.all([
      api(`/api/v1/receipts/${encodeURIComponent(code)}/proof`),
      fetch('/api/v1/log-key', { cache: 'no-store' }).then((r) => (r.ok ? r.text() : '')).catch(() => ''),
    ]);
    if (id !== checkId) return;
    if (proof.status === 202 && tries < 8) {
      await new Promise((ok) => setTimeout(ok, 1500));
      continue;
    }
    if (proof.status === 202) logState = { state: 'later' };
    else if (!proof.ok || !key) logState = { state: 'failed', why: proof.code || 'key' };
    else {
      try {
        logState = { state: 'ok', key: key.trim().split('+')[0], ...(await verifyInclusion(code, proof.data, key)) };
      } catch (e) {
        const why = e instanceof LogError ? e.reason : 'root';
        logState = why === 'unsupported' ? { state: 'unsupported' } : { state: 'failed', why };
      }
    }
    if (id === checkId) render();
    return;
  }
}

// choiceNames names the choices (candidate ids) of a verified leaf as the ballot shows them.
function choiceNames(ids) {
  if (!ids.length) return t('no_choice');
  return ids.map((id) => {
    const c = (answer && answer.candidates || []).find((x) => x.id === id);
    return c ? `${text(c.city)} · ${text(c.initiative)}` : id;
  }).join(', ');
}

// openedLine says, once the log is open, what the verified sealed record says of the ballot.
function openedLine(o) {
  const last = o.reviews[o.reviews.length - 1];
  const by = (r) => t(r.by === 'system' ? 'by_system' : 'by_organiser');
  if (!o.held) return t('opened_counted');
  if (!last) return t('opened_held');
  return t(last.type === 'release' ? 'opened_released' : 'opened_void', { by: by(last) });
}

function renderLog() {
  const box = $('log');
  box.textContent = '';
  box.className = 'notice';
  delete box.dataset.root;
  if (!logState) return;
  const s = logState;
  if (s.state === 'ok') {
    box.className = 'notice ok';
    const details = document.createElement('details');
    details.append(
      Object.assign(document.createElement('summary'), { textContent: t('details') }),
      Object.assign(document.createElement('p'), { textContent: t('log_ok', { i: s.index + 1, n: s.size, root: s.root.slice(0, 12) }) }),
      Object.assign(document.createElement('p'), { textContent: t('log_ok_detail', { key: s.key }) }),
    );
    if (s.opening) {
      details.append(Object.assign(document.createElement('p'), { textContent: t('log_opened_detail', { i: s.opening.index + 1, n: s.opening.sealedSize }) }));
    }
    box.append(details);
    box.dataset.root = s.root;
    return;
  }
  box.className = s.state === 'failed' ? 'notice error' : 'notice info';
  box.textContent = t('log_' + s.state, { why: s.why });
}

function render() {
  translate('receipt');
  document.title = t('title');
  const box = $('answer');
  renderLog();
  $('copy-done').textContent = '';
  if (!answer) return;
  box.textContent = '';
  if (answer.ok) {
    box.className = 'notice ok';
    const h = document.createElement('p');
    const verified = logState && logState.state === 'ok';
    h.append(Object.assign(document.createElement('strong'), {
      textContent: verified ? t('recorded_choice', { c: choiceNames(logState.choices) }) : t('recorded'),
    }));
    box.append(h);
    if (verified && logState.opening) box.append(Object.assign(document.createElement('p'), { textContent: openedLine(logState.opening) }));
    box.append(Object.assign(document.createElement('p'), {
      textContent: t('recorded_at', { r: answer.receipt, t: time(answer.data.recorded_at), p: text(answer.title) }),
    }));
  } else {
    box.className = 'notice error';
    box.textContent = message(lang, answer);
  }
}
