// framed.js: the ballot inside a partner's frame (the embedded ballot; README, "Embedding the
// ballot"). It tells the partner's page (embed.js) the ballot's height whenever it changes, and
// shows a link that opens the ballot in its own tab: where the browser keeps no cookie in the frame
// the vote cannot count there, and the vote says so (embed_blocked).

// framed is true when the page is shown in another page's frame.
export const framed = (() => {
  try { return window.self !== window.top; } catch (e) { return true; }
})();

// followHeight posts the height of the page to the page framing it, now and on every change.
export function followHeight() {
  if (!framed) return;
  document.documentElement.classList.add('framed');
  let last = 0;
  const post = () => {
    const h = Math.ceil(document.body.getBoundingClientRect().height);
    if (h === last) return;
    last = h;
    window.parent.postMessage({ type: 'livevote:height', height: h }, '*'); // a height: nothing secret
  };
  new ResizeObserver(post).observe(document.body);
  post();
}

// ownTabURL is the address of the ballot in its own tab.
export function ownTabURL() {
  const u = new URL(location.href);
  u.searchParams.delete('embed');
  return u.href;
}
