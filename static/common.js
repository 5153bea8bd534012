// common.js: what every page shares: the language, text in it, API calls, the live connection.

const LANGS = ['en', 'zh'];

// lang is the language of the page: the one the visitor chose before (localStorage), else the
// first of the browser's languages that the pages speak, else English.
export let lang = pickLang();

function pickLang() {
  try {
    const saved = localStorage.getItem('lv_lang');
    if (LANGS.includes(saved)) return saved;
  } catch (e) { /* storage may be off */ }
  for (const l of navigator.languages || [navigator.language || '']) {
    const base = String(l).toLowerCase().slice(0, 2);
    if (LANGS.includes(base)) return base;
  }
  return 'en';
}

// setLang switches the page's language and remembers the choice.
export function setLang(l) {
  lang = l;
  try { localStorage.setItem('lv_lang', l); } catch (e) { /* storage may be off */ }
  applyLang();
}

function applyLang() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}
applyLang();

// t returns the sentence key of dict ({en: {...}, zh: {...}}) in the page's language, with {name}
// replaced by vars.name.
export function t(dict, key, vars) {
  let s = (dict[lang] && dict[lang][key]) ?? dict.en[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
  return s;
}

// text returns a ballot text ({en, zh}) in the page's language.
export function text(o) {
  return o ? o[lang] || o.en || o.zh || '' : '';
}

// translate fills every element with data-t="key" with its sentence.
export function translate(dict, root = document) {
  for (const el of root.querySelectorAll('[data-t]')) el.textContent = t(dict, el.dataset.t);
}

// langButton makes button the language switch: it names the other language, in that language.
export function langButton(button, onChange) {
  const label = () => {
    const other = lang === 'zh' ? 'en' : 'zh';
    button.textContent = other === 'zh' ? '中文' : 'English';
    button.lang = other === 'zh' ? 'zh-CN' : 'en';
    button.setAttribute('aria-label', other === 'zh' ? '切换到中文' : 'Switch to English');
  };
  label();
  button.addEventListener('click', () => {
    setLang(lang === 'zh' ? 'en' : 'zh');
    label();
    onChange();
  });
}

// num formats a count for the page's language.
export function num(n, digits = 0) {
  return new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en', { maximumFractionDigits: digits }).format(n);
}

// time formats a date (or RFC 3339 text) as local time for the page's language.
export function time(d, opts = { dateStyle: 'medium', timeStyle: 'short' }) {
  return new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en', opts).format(new Date(d));
}

// api calls the JSON API. It never throws: it answers {ok, status, data, code, retryAfter}, where
// code is the API's error code, or "network" when the server could not be reached. With file, a
// successful answer's data is its body as a Blob, and name the file name the server suggests.
export async function api(path, { method = 'GET', body, token, file = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = 'Bearer ' + token;
  let res;
  try {
    res = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin', cache: 'no-store',
    });
  } catch (e) {
    return { ok: false, status: 0, code: 'network' };
  }
  if (file && res.ok) {
    const name = (res.headers.get('Content-Disposition') || '').match(/filename="([^"]+)"/);
    try {
      return { ok: true, status: res.status, data: await res.blob(), name: name ? name[1] : '' };
    } catch (e) {
      return { ok: false, status: 0, code: 'network' };
    }
  }
  let data = null;
  try { data = await res.json(); } catch (e) { /* not JSON */ }
  const out = { ok: res.ok, status: res.status, data };
  if (!res.ok) {
    out.code = (data && data.error && data.error.code) || (res.status >= 500 ? 'unavailable' : 'internal');
    const ra = parseInt(res.headers.get('Retry-After'), 10);
    if (ra > 0) out.retryAfter = ra;
  }
  return out;
}

// live keeps a WebSocket to the live updates of path (/ws/polls/{poll}?...) open: it reconnects
// on its own with exponential backoff and jitter, at once when the page becomes visible again or
// the device comes back online. onMessage gets every snapshot; onState gets "open" or
// "reconnecting". The page keeps showing the last snapshot meanwhile. A token (a function
// returning it, or '') goes in the subprotocol livevote.bearer.<base64url>, never in the URL
// (browsers cannot give a WebSocket an Authorization header; docs/API.md).
export function live(path, { onMessage, onState = () => {}, maxDelay = 8000, token = () => '' }) {
  let ws = null;
  let tries = 0;
  let timer = 0;
  let stopped = false;
  const connect = () => {
    clearTimeout(timer);
    timer = 0;
    if (stopped || ws) return;
    const tok = token();
    const sock = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path,
      tok ? ['livevote', 'livevote.bearer.' + base64url(tok)] : undefined);
    ws = sock;
    sock.onopen = () => { tries = 0; onState('open'); };
    sock.onmessage = (e) => {
      let m;
      try { m = JSON.parse(e.data); } catch (err) { return; }
      if (m && m.type === 'snapshot') onMessage(m);
    };
    sock.onclose = () => {
      if (ws !== sock) return;
      ws = null;
      if (stopped) return;
      onState('reconnecting');
      const cap = Math.min(maxDelay, 500 * 2 ** Math.min(tries++, 10));
      timer = setTimeout(connect, cap / 2 + Math.random() * cap / 2);
    };
  };
  const now = () => { if (!ws && !stopped) { tries = 0; connect(); } };
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') now(); });
  window.addEventListener('online', now);
  window.addEventListener('pageshow', now);
  connect();
  return { stop() { stopped = true; clearTimeout(timer); if (ws) ws.close(); } };
}

// base64url encodes the UTF-8 bytes of s in base64url without padding.
function base64url(s) {
  let bin = '';
  for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// pollFromPath returns the {poll} of /vote/{poll}, /screen/{poll} and the like.
export function pollFromPath() {
  const m = location.pathname.match(/^\/[a-z]+\/([^/]+)/);
  return m ? decodeURIComponent(m[1]) : '';
}

// el makes an element with attributes and children (strings become text).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}
