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
  },
  zh: {
    brand: '投票凭证',
    title: '查询投票凭证',
    label: '凭证编号',
    hint: '投票后获得的编号。',
    check: '查询',
    recorded: '您的选票已记录。',
    recorded_at: '已于 {t} 记录在“{p}”中。',
    checking: '正在查询…',
  },
};
const t = (k, v) => tr(S, k, v);
const $ = (id) => document.getElementById(id);
let answer = null; // a failed API answer ({code}), or {ok, receipt, data, title}

langButton($('lang'), render);
render();
const first = decodeURIComponent(location.pathname.split('/')[2] || '');
$('code').value = first;
if (first) check(first, false);

$('check').addEventListener('submit', (e) => {
  e.preventDefault();
  const code = $('code').value.trim();
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
  render();
  if (focus) $('answer').focus();
}

function render() {
  translate(S);
  document.title = t('title');
  const box = $('answer');
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
