// common.js: what every page shares: the language, text in it, API calls, the live connection.

import en from './lang-en.js';
import { languages } from './codes.js';

// CATALOGUES are the languages whose sentences the pages have (static/lang/lang-{tag}.js, listed
// in codes.js), English first; a poll's languages are among them (the server refuses a ballot
// file with another). The organiser's console speaks ORGANISER only (its own sentences,
// organiser-strings.js).
export const CATALOGUES = languages;
const ORGANISER = ['en', 'zh'];
const loaded = { en };
let offered = ORGANISER;

// lang is the language of the page (a tag of offered), and cat its catalogue: at first the
// visitor's among ORGANISER, until the page names its languages (useLanguages).
export let lang = 'en';
let cat = en;

// catalogueOf is the catalogue's name for a language tag: its own, else its primary subtag's.
const catalogueOf = (tag) => (CATALOGUES.includes(tag) ? tag : String(tag).split('-')[0]);

// pickLang is the language of the link (?lang=, as a shared link carries it), else the one the
// visitor chose before (localStorage), else the first of the browser's languages
// (navigator.languages) among those offered (exactly, else by primary subtag: fr-CA finds fr),
// else the first offered.
function pickLang(list) {
  const linked = new URLSearchParams(location.search).get('lang');
  if (list.includes(linked)) return linked;
  try {
    const saved = localStorage.getItem('lv_lang');
    if (list.includes(saved)) return saved;
  } catch (e) { /* storage may be off */ }
  const wants = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || '']).map((l) => String(l).toLowerCase());
  for (const w of wants) {
    const hit = list.find((l) => l.toLowerCase() === w);
    if (hit) return hit;
  }
  for (const w of wants) {
    const hit = list.find((l) => l.toLowerCase().split('-')[0] === w.split('-')[0]);
    if (hit) return hit;
  }
  return list[0] || 'en';
}

// catalogue returns the catalogue of language tag (lang-{tag}.js), loading it once.
export const catalogue = (tag) => load(tag);

async function load(tag) {
  const name = catalogueOf(tag);
  if (!loaded[name]) loaded[name] = (await import(`./lang-${name}.js`)).default;
  return loaded[name];
}

// useLanguages makes list (a poll's languages) the ones the page offers, and picks the visitor's
// among them. It resolves once that language's sentences are loaded.
export async function useLanguages(list) {
  offered = list && list.length ? list : ['en'];
  await use(pickLang(offered));
}

async function use(l) {
  cat = await load(l);
  lang = l;
  document.documentElement.lang = cat.locale;
  document.documentElement.dir = cat.dir;
}

// setLang switches the page's language and remembers the choice.
export async function setLang(l) {
  try { localStorage.setItem('lv_lang', l); } catch (e) { /* storage may be off */ }
  const u = new URL(location.href);
  if (u.searchParams.has('lang')) {
    u.searchParams.set('lang', l);
    history.replaceState(history.state, '', u);
  }
  await use(l);
}

await use(pickLang(offered));

// forms picks the plural form of a sentence given as forms ({one, other, ...}) for n, by the
// language's rules.
function forms(s, n) {
  return s[new Intl.PluralRules(cat.locale).select(n)] ?? s.other;
}

// t returns the sentence key in the page's language, with {name} replaced by vars.name. dict is a
// section of the catalogues ('vote', 'live', 'receipt', 'errors'), or the page's own
// {en: {...}, zh: {...}} (the organiser's console). A missing sentence is the English one; a test
// checks that no catalogue misses any. A sentence in forms is chosen for the number vars.n, which
// is written by num.
export function t(dict, key, vars) {
  if (typeof dict !== 'string') {
    const s = (dict[lang] && dict[lang][key]) ?? dict.en[key] ?? key;
    return vars ? fill(s, vars) : s;
  }
  let s = (cat[dict] && cat[dict][key]) ?? en[dict][key] ?? key;
  if (typeof s === 'object') {
    s = forms(s, vars.n);
    vars = { ...vars, n: num(vars.n) };
  }
  return vars ? fill(s, vars) : s;
}

function fill(s, vars) {
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
}

// text returns a ballot text ({en, zh, fr, ...}) in the page's language, else in the first
// offered language that has it.
export function text(o) {
  if (!o) return '';
  return o[lang] || o[lang.split('-')[0]] || offered.map((l) => o[l]).find(Boolean) || o.en || '';
}

// translate fills every element with data-t="key" with its sentence (dict as for t).
export function translate(dict, root = document) {
  for (const el of root.querySelectorAll('[data-t]')) el.textContent = t(dict, el.dataset.t);
}

// langButton makes button the switch between English and Chinese (the organiser's console): it
// names the other language, in that language.
export function langButton(button, onChange) {
  const label = () => {
    const other = lang === 'zh' ? 'en' : 'zh';
    button.textContent = other === 'zh' ? '中文' : 'English';
    button.lang = other === 'zh' ? 'zh-CN' : 'en';
    button.setAttribute('aria-label', other === 'zh' ? '切换到中文' : 'Switch to English');
  };
  label();
  button.addEventListener('click', async () => {
    await setLang(lang === 'zh' ? 'en' : 'zh');
    label();
    onChange();
  });
}

// langSelect makes select (a <select>) the switch between the languages offered: each named in
// itself (Intl.DisplayNames), the select labelled in the page's language.
export function langSelect(select, onChange) {
  const label = () => select.setAttribute('aria-label', t('common', 'language'));
  select.textContent = '';
  for (const l of offered) {
    let name = l;
    try { name = new Intl.DisplayNames([l], { type: 'language' }).of(l); } catch (e) { /* an unknown tag names itself */ }
    select.append(el('option', { value: l, lang: l }, name.charAt(0).toLocaleUpperCase(l) + name.slice(1)));
  }
  select.value = lang;
  select.hidden = offered.length < 2;
  label();
  select.addEventListener('change', async () => {
    await setLang(select.value);
    label();
    onChange();
  });
}

// num formats a count for the page's language.
export function num(n, digits = 0) {
  return new Intl.NumberFormat(cat.locale, { maximumFractionDigits: digits }).format(n);
}

// time formats a date (or RFC 3339 text) as local time for the page's language.
export function time(d, opts = { dateStyle: 'medium', timeStyle: 'short' }) {
  return new Intl.DateTimeFormat(cat.locale, opts).format(new Date(d));
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
