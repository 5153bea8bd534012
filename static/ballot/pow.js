// pow.js: a Web Worker that solves a proof-of-work challenge of the ALTCHA scheme (docs/API.md,
// GET .../challenge): it finds n, 0 <= n <= max, with hex(SHA-256(salt + n)) == challenge.
//
// Message in: {salt, challenge, max, js}. Messages out: {progress: 0..1} now and then, and at the
// end {number: n} (-1 when no n fits). It hashes with Web Crypto, many digests at a time; where
// Web Crypto is missing (a page not served over HTTPS or from localhost), or when js is set, it
// hashes with the small SHA-256 below.

const enc = new TextEncoder();
const BATCH = 400;

self.onmessage = async (e) => {
  const { salt, challenge, max, js } = e.data;
  const want = new Uint8Array(32);
  for (let i = 0; i < 32; i++) want[i] = parseInt(challenge.substr(i * 2, 2), 16);
  const subtle = !js && self.crypto && self.crypto.subtle;
  let reported = Date.now();
  for (let start = 0; start <= max; start += BATCH) {
    const end = Math.min(max, start + BATCH - 1);
    let found = -1;
    if (subtle) {
      const jobs = [];
      for (let n = start; n <= end; n++) jobs.push(subtle.digest('SHA-256', enc.encode(salt + n)));
      const digests = await Promise.all(jobs);
      for (let i = 0; i < digests.length; i++) {
        if (same(new Uint8Array(digests[i]), want)) { found = start + i; break; }
      }
    } else {
      for (let n = start; n <= end; n++) {
        if (same(sha256(enc.encode(salt + n)), want)) { found = n; break; }
      }
    }
    if (found >= 0) {
      postMessage({ number: found });
      return;
    }
    const now = Date.now();
    if (now - reported >= 100) {
      reported = now;
      postMessage({ progress: (end + 1) / (max + 1) });
    }
  }
  postMessage({ number: -1 });
};

function same(a, b) {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false;
  return true;
}

// SHA-256 (FIPS 180-4) of bytes. The round constants are the fractional parts of the cube roots of
// the first 64 primes, the initial hash those of the square roots of the first 8.
const K = new Uint32Array(64);
const H0 = new Uint32Array(8);
{
  const frac = (x) => (x - Math.floor(x)) * 0x100000000 >>> 0;
  for (let n = 2, i = 0; i < 64; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
    if (!prime) continue;
    if (i < 8) H0[i] = frac(Math.sqrt(n));
    K[i++] = frac(Math.cbrt(n));
  }
}
const W = new Uint32Array(64);

function sha256(msg) {
  const len = msg.length;
  const blocks = ((len + 9 + 63) >> 6) << 6;
  const buf = new Uint8Array(blocks);
  buf.set(msg);
  buf[len] = 0x80;
  const view = new DataView(buf.buffer);
  view.setUint32(blocks - 4, len * 8);
  view.setUint32(blocks - 8, Math.floor(len / 0x20000000));
  const h = H0.slice();
  for (let off = 0; off < blocks; off += 64) {
    for (let i = 0; i < 16; i++) W[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const a = W[i - 15], b = W[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) ov.setUint32(i * 4, h[i]);
  return out;
}
