// receipt.js: checks a receipt (/receipt/{receipt}) with GET /api/v1/receipts/{receipt}. It says
// whether the ballot is recorded, and nothing more: a ballot held for review looks the same.
import { api, lang, langButton, t as tr, text, time, translate } from './common.js';
import { message } from './messages.js';

const S = {
  en: {
    brand: 'Vote receipt',
    title: 'Check your receipt',
    label: 'Receipt code',
    hint: 'The code you got after voting.',
    check: 'Check',
    recorded: 'Your ballot is recorded.',
    recorded_at: 'Recorded {t}, in “{p}”.',
    checking: 'Checking…',
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
    recorded_at: '已于 {t} 记录在《{p}》中。',
    checking: '正在查询…',
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
  $('answer').className = 'notice';
  $('answer').textContent = t('checking');
  const res = await api(`/api/v1/receipts/${encodeURIComponent(code)}`);
  answer = res.ok ? { ok: true, receipt: code, data: res.data } : res;
  if (res.ok) {
    const p = await api(`/api/v1/polls/${encodeURIComponent(res.data.poll)}`);
    answer.title = p.ok ? p.data.title : { en: res.data.poll, zh: res.data.poll };
  }
  links(res.ok ? res.data.poll : '');
  render();
  if (focus) $('answer').focus();
}

function render() {
  translate(S);
  document.title = t('title');
  const box = $('answer');
  $('copy-done').textContent = '';
  if (!answer) return;
  box.textContent = '';
  if (answer.ok) {
    box.className = 'notice ok';
    const h = document.createElement('p');
    h.append(Object.assign(document.createElement('strong'), { textContent: t('recorded') }));
    box.append(h, Object.assign(document.createElement('p'), {
      textContent: t('recorded_at', { r: answer.receipt, t: time(answer.data.recorded_at), p: text(answer.title) }),
    }));
  } else {
    box.className = 'notice error';
    box.textContent = message(lang, answer);
  }
}
