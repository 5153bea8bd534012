// checkpoint.js: shows a poll's latest signed log checkpoint (GET /api/v1/polls/{poll}/checkpoint)
// as "size · short root" in an element, refreshed every few seconds, so that anyone may photograph
// it and later check that the log still extends it (GET .../consistency).

const hex = (s) => Array.from(atob(s), (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');

// showCheckpoint keeps el showing the checkpoint of pollId, as label(size, root) (root: the first
// 12 hex digits); the full root is in el's title.
export function showCheckpoint(el, pollId, label, every = 5000) {
  const load = async () => {
    try {
      const res = await fetch(`/api/v1/polls/${encodeURIComponent(pollId)}/checkpoint`, { cache: 'no-store' });
      if (!res.ok) return;
      const [origin, size, root] = (await res.text()).split('\n');
      const h = hex(root);
      el.textContent = label(Number(size), h.slice(0, 12));
      el.title = `${origin} ${size} ${h}`;
      el.dataset.size = size;
      el.hidden = false;
    } catch (e) { /* offline: keep the last one */ }
  };
  load();
  return setInterval(load, every);
}
