// messages.js: the sentence for people of an API answer that failed: every error code of the API
// (docs/API.md, "Errors"; the server's list is codes.js), and "network" for a server that cannot be
// reached. The sentences are the catalogues' (lang-{tag}.js, section errors; the browser test checks
// that each catalogue has one for every code). {s} is the number of seconds of Retry-After.
import { t } from './common.js';

// message returns the sentence for an API answer ({code, retryAfter}) in the page's language (lang,
// as common.js exports it: the argument stays for the callers written when there were two).
export function message(lang, res, daily = false) {
  let code = res.code;
  if (code === 'already_voted' && daily) code = 'already_voted_daily';
  if (code === 'rate_limited' && !res.retryAfter) code = 'rate_limited_short';
  const s = t('errors', code, { s: res.retryAfter });
  return s === code ? t('errors', 'internal') : s;
}
