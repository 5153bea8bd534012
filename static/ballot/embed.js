// embed.js: the partner's half of the embedded ballot (the snippet in the README). It runs in the
// partner's page, not in livevote's: it gives every livevote frame (iframe[data-livevote]) the
// height of the ballot inside it, which the ballot posts ({type: 'livevote:height', height}) each
// time it changes. A message counts only from the frame's own window and origin.
(function () {
  window.addEventListener('message', function (e) {
    var d = e.data;
    if (!d || d.type !== 'livevote:height' || !(d.height > 0)) return;
    var frames = document.querySelectorAll('iframe[data-livevote]');
    for (var i = 0; i < frames.length; i++) {
      var f = frames[i];
      if (f.contentWindow === e.source && new URL(f.src, location.href).origin === e.origin) {
        f.style.height = Math.ceil(Math.min(d.height, 20000)) + 'px';
      }
    }
  });
})();
