// organiser-confirm.js: the console's confirmation dialog.

// confirmer returns confirmed(key, vars, danger) for the <dialog> d (with #confirm-title,
// #confirm-text, #confirm-warn and #confirm-ok): it asks for confirmation with the sentences
// t(key), [title, text, button] or [title, text, button, warning] with {vars}, the button red when
// danger, and answers whether the organiser confirmed.
export function confirmer(d, t) {
  const [title, body, warn, ok] = ['confirm-title', 'confirm-text', 'confirm-warn', 'confirm-ok'].map((id) => d.querySelector('#' + id));
  return async (key, vars, danger) => {
    const fill = (x) => (x || '').replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
    const s = t(key);
    [title.textContent, body.textContent, ok.textContent, warn.textContent] = [0, 1, 2, 3].map((i) => fill(s[i]));
    warn.hidden = !warn.textContent;
    ok.classList.toggle('danger', !!danger);
    d.returnValue = '';
    d.showModal();
    await new Promise((r) => d.addEventListener('close', r, { once: true }));
    return d.returnValue === 'ok';
  };
}
