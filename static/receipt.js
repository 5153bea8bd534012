// receipt.js: checks a receipt (/receipt/{receipt}) with GET /api/v1/receipts/{receipt}. It says
// whether the ballot is recorded, and nothing more: a ballot held for review looks the same. Then
// it checks, in the browser (logproof.js), that the ballot is in the signed public log with its
// choice, and says that first ("Recorded: Kazan · …, verified."), the technical details folded.
// Once the log is open (after the reveal) the proof carries the ballot's sealed entry and its
// reviews, checked the same way: the page then says whether it was counted at once, released
// after a hold, or voided.
import { api, lang, langButton, t as tr, text, time, translate } from './common.js';
import { LogError, verifyInclusion } from './logproof.js';
import { message } from './messages.js';

const S = {
  en: {
    brand: 'Vote receipt',
    title: 'Check your receipt',
    label: 'Receipt code',
    hint: 'The code you got after voting.',
    check: 'Check',
    recorded: 'Your ballot is recorded.',
    recorded_choice: 'Recorded: {c}, verified.',
    no_choice: 'no choice',
    recorded_at: 'Recorded {t}, in “{p}”.',
    details: 'How this was checked',
    opened_counted: 'After the reveal, the log shows your ballot was counted when it was cast.',
    opened_released: 'After the reveal, the log shows your ballot was held for a check, then counted (released by {by}).',
    opened_void: 'After the reveal, the log shows your ballot was held for a check and not counted (voided by {by}).',
    opened_held: 'After the reveal, the log shows your ballot is still held for review by the organisers.',
    by_system: 'the automatic check',
    by_organiser: 'the organisers',
    checking: 'Checking…',
    log_checking: 'Checking the public log…',
    log_ok: 'Checked in your browser: your ballot is entry {i} of {n} in the public log, root {root}…',
    log_ok_detail: 'The log’s checkpoint is signed by {key}, the key this site publishes at /api/v1/log-key.',
    log_pending: 'Your ballot will be in the public log’s next checkpoint within seconds. Checking again…',
    log_later: 'Your ballot is not in the public log’s checkpoint yet. Please check again later.',
    log_failed: 'Warning: the public log’s proof for this ballot did not verify ({why}). Please tell the organisers.',
    log_unsupported: 'This browser cannot check the public log’s signature (Ed25519). Try a current browser.',
    log_opened_detail: 'Its sealed record (entry {i} of {n} of the sealed log) is committed to by the public log, under the salt revealed with the results.',
    copy: 'Copy the code',
    copied: 'Copied.',
    copy_failed: 'Could not copy: select the code and copy it.',
    to_ballot: 'Back to the ballot',
    to_live: 'Follow the vote live',
  },
  zh: {
    brand: '投票凭证',
    title: '查询投票凭证',
    label: '凭证编号',
    hint: '投票后获得的编号。',
    check: '查询',
    recorded: '您的选票已记录。',
    recorded_choice: '已记录：{c}，已核验。',
    no_choice: '未选择',
    recorded_at: '已于 {t} 记录在《{p}》中。',
    details: '核验详情',
    opened_counted: '结果公布后，日志显示您的选票在投出时即已计入。',
    opened_released: '结果公布后，日志显示您的选票曾被暂扣核查，之后已计入（由{by}放行）。',
    opened_void: '结果公布后，日志显示您的选票曾被暂扣核查，未被计入（由{by}作废）。',
    opened_held: '结果公布后，日志显示您的选票仍在等待组织者审核。',
    by_system: '自动核查',
    by_organiser: '组织者',
    checking: '正在查询…',
    log_checking: '正在核验公开日志…',
    log_ok: '已在您的浏览器中核验：您的选票是公开日志 {n} 条记录中的第 {i} 条，根哈希 {root}…',
    log_ok_detail: '日志检查点由 {key} 签名，即本网站在 /api/v1/log-key 公布的密钥。',
    log_pending: '几秒钟内，您的选票将出现在公开日志的下一个检查点中。正在重新核验…',
    log_later: '您的选票尚未出现在公开日志的检查点中。请稍后再查。',
    log_failed: '警告：此选票在公开日志中的证明未通过核验（{why}）。请告知组织者。',
    log_unsupported: '此浏览器无法核验公开日志的签名（Ed25519）。请使用新版浏览器。',
    log_opened_detail: '其封存记录（封存日志 {n} 条中的第 {i} 条）由公开日志承诺，盐值已随结果公布。',
    copy: '复制编号',
    copied: '已复制。',
    copy_failed: '无法复制：请选中编号后手动复制。',
    to_ballot: '返回投票页面',
    to_live: '查看实时投票情况',
  },
};
const t = (k, v) => tr(S, k, v);
const $ = (id) => document.getElementById(id);
let answer = null; // a failed API answer ({code}), or {ok, receipt, data, title}
let logState = null; // {state: checking|pending|later|ok|failed|unsupported, ...}
let checkId = 0; // the latest check; an older one's results are dropped

langButton($('lang'), render);
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
  translate(S);
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
