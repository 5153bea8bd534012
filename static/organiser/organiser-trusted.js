// organiser-trusted.js: the fraud panel's trusted subnets: the list, Trust (a form) and Remove
// (after a confirmation).
import { el, lang } from './common.js';

// trustedList runs the list with ctx (organiser.js) and panel (organiser-fraud.js: refresh,
// failed).
export function trustedList(ctx, panel) {
  const { t, $ } = ctx;

  $('trusted-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const s = $('subnet').value.trim();
    if (!s) return;
    const res = await ctx.call(`${ctx.admin}/trusted`, { method: 'POST', body: { subnet: s } });
    if (res.ok) {
      panel.failed(null);
      $('subnet').value = '';
      ctx.announce(t('trusted_added', { s }));
    } else {
      panel.failed(res.code === 'invalid_request' ? { key: 'bad_subnet', vars: { s } } : res);
      $('subnet').focus();
    }
    panel.refresh();
  });

  async function untrust(s, button) {
    if (!(await ctx.confirmed('c_untrust', { s }, true))) return button.focus();
    const res = await ctx.call(`${ctx.admin}/trusted?subnet=${encodeURIComponent(s)}`, { method: 'DELETE' });
    if (res.ok) {
      panel.failed(null);
      ctx.announce(t('trusted_removed', { s }));
    } else {
      panel.failed(res);
    }
    await panel.refresh();
    $('subnet').focus();
  }

  return {
    // render shows list (the trusted subnets, CIDR), each with its Remove button.
    render(list) {
      const ul = $('trusted-list');
      $('trusted-empty').hidden = list.length > 0;
      const key = JSON.stringify([lang, list]);
      if (ul.dataset.key === key) return;
      ul.dataset.key = key;
      ul.replaceChildren(...list.map((s) => {
        const b = el('button', { type: 'button', class: 'btn quiet small', 'aria-label': t('f_remove_label', { s }), text: t('f_remove') });
        b.addEventListener('click', () => untrust(s, b));
        return el('li', {}, el('code', { text: s }), b);
      }));
    },
  };
}
