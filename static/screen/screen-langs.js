// screen-langs.js: the big screen's languages: the one or two the ballot file names for it
// (screen_languages), shown at once, the first before the second. Their sentences are the
// catalogues' (lang-{tag}.js, section screen), the ballot's texts the ballot file's.
import { catalogue, el } from './common.js';

// screenLanguages loads the catalogues of tags and returns what the screen writes with them:
// one(i, key, vars) the sentence in the i-th language (a sentence in forms chosen for vars.n, by
// that language's rules), both(key, sep) every language's joined by sep, text(i, o) a ballot text
// in the i-th language, spans(key, vars, sep) one <span lang> per language (separated by sep, a
// space unless given), and locales.
export async function screenLanguages(tags) {
  const cats = await Promise.all(tags.map(catalogue));
  const en = await catalogue('en');
  const one = (i, key, vars = {}) => {
    const c = cats[i];
    if (!c) return '';
    let s = (c.screen && c.screen[key]) ?? en.screen[key] ?? key;
    if (typeof s === 'object') {
      s = s[new Intl.PluralRules(c.locale).select(vars.n)] ?? s.other;
      vars = { ...vars, n: new Intl.NumberFormat(c.locale).format(vars.n) };
    }
    return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
  };
  return {
    tags,
    locales: cats.map((c) => c.locale),
    one,
    both: (key, sep = ' · ', vars) => cats.map((c, i) => one(i, key, vars)).join(sep),
    text: (i, o) => (o && tags[i] ? o[tags[i]] || '' : ''),
    spans: (key, vars, sep = ' ') => cats.flatMap((c, i) => [i ? sep : null, el('span', { lang: c.locale }, one(i, key, vars))]).filter((x) => x !== null),
  };
}
