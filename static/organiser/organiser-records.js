// organiser-records.js: the console's records: the export (GET .../export?format=json|csv, the
// final tally and the whole ballot log) downloaded as a file, and the audit (GET .../audit: the
// log recounted and compared with the live counters), its verdict in words. A link cannot carry
// the organiser's token (it goes in the Authorization header only), so the export is fetched and
// handed to the browser as a Blob.
import { el, lang, num, time } from './common.js';
import { message } from './messages.js';
import { setText } from './organiser-view.js';

// records runs the records panel with ctx (organiser.js). ctx.noticed('audit', answer) hears of
// every audit.
export function records(ctx) {
  const { t, $ } = ctx;
  let exported = null; // {key, vars, failed}: what the last export did
  let audit = null; // the last audit's answer, or {failure}

  for (const format of ['json', 'csv']) {
    const b = $('export-' + format);
    b.addEventListener('click', () => download(format, b));
  }
  $('audit-run').addEventListener('click', runAudit);

  async function download(format, button) {
    const f = format.toUpperCase();
    button.disabled = true;
    exported = { key: 'r_downloading', vars: { f } };
    render();
    const res = await ctx.call(`${ctx.admin}/export?format=${format}`, { file: true });
    button.disabled = false;
    if (!res.ok) {
      exported = { key: 'r_failed', failure: res, failed: true };
    } else {
      const name = res.name || `${ctx.poll.id}.${format}`;
      const url = URL.createObjectURL(res.data);
      const a = el('a', { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      exported = { key: 'r_downloaded', vars: { f: name, s: size(res.data.size) } };
    }
    render();
  }

  async function runAudit() {
    const button = $('audit-run');
    button.disabled = true;
    setText(button, t('r_auditing'));
    const res = await ctx.call(`${ctx.admin}/audit`);
    button.disabled = false;
    audit = res.ok ? res.data : { failure: res };
    ctx.noticed('audit', res.ok ? res.data : null);
    render();
    ctx.announce($('audit-verdict').textContent);
  }

  // size is a file size in kB (at least 1).
  const size = (bytes) => `${num(Math.max(1, Math.round(bytes / 1024)))} kB`;

  function render() {
    const st = $('export-status');
    st.classList.toggle('failed', !!(exported && exported.failed));
    setText(st, !exported ? '' : exported.failure ? t('r_failed', { e: message(lang, exported.failure) }) : t(exported.key, exported.vars));
    if (!$('audit-run').disabled) setText($('audit-run'), t('r_audit_run'));
    const box = $('audit-result');
    box.hidden = !audit;
    if (!audit) return;
    if (audit.failure) {
      box.classList.add('bad');
      setText($('audit-verdict'), message(lang, audit.failure));
      setText($('audit-detail'), '');
      $('audit-differences').replaceChildren();
      return;
    }
    const a = audit;
    box.classList.toggle('bad', !a.consistent);
    setText($('audit-verdict'), t(!a.consistent ? 'r_bad' : a.settled ? 'r_ok' : 'r_ok_moving'));
    const notes = [t('r_detail', { b: num(a.log.ballots), h: num(a.log.held), e: num(a.log.entries), t: time(a.checked_at, { timeStyle: 'medium' }) })];
    if (a.log.duplicate_voters) notes.push(t('r_dupes', { n: num(a.log.duplicate_voters) }));
    if (a.log.unmatched_reviews) notes.push(t('r_unmatched', { n: num(a.log.unmatched_reviews) }));
    setText($('audit-detail'), notes.join(' '));
    $('audit-differences').replaceChildren(...(a.differences || []).map((d) => el('li', { text: d })));
  }

  return { start() {}, render };
}
