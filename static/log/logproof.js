// logproof.js: checks in the browser, with Web Crypto, that a receipt's ballot is in the public
// ballot log: the checkpoint is a signed note (Ed25519) of the key the server serves, and the
// RFC 6962 inclusion proof leads from the ballot's leaf to the checkpoint's root. The leaf must be
// a ballot naming this receipt (by its SHA-256). Once the log is open (after the reveal), it also
// checks the opening: the seal leaf in the same checkpoint commits (under the revealed salt) to
// the sealed tree, in which the ballot's sealed entry and its reviews are (README, "The verifiable
// log"). Nothing here trusts the server beyond the key.

const enc = new TextEncoder();
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

async function sha256(...parts) {
  const buf = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { buf.set(p, at); at += p.length; }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}
const leafHash = (leaf) => sha256(Uint8Array.of(0), leaf);
const nodeHash = (l, r) => sha256(Uint8Array.of(1), l, r);

// LogError says which check failed: key, signature, checkpoint, leaf or root.
export class LogError extends Error {
  constructor(reason) { super(reason); this.reason = reason; }
}

// parseKey reads a note verifier key: name+hash(8 hex)+base64(0x01 || Ed25519 public key).
function parseKey(vkey) {
  const [name, hash, ...rest] = vkey.trim().split('+'); // base64 may hold '+' too
  const key = rest.join('+');
  let raw;
  try { raw = unb64(key || ''); } catch (e) { throw new LogError('key'); }
  if (!name || !/^[0-9a-f]{8}$/.test(hash || '') || raw.length !== 33 || raw[0] !== 1) throw new LogError('key');
  return { name, hash, pub: raw.slice(1) };
}

// openNote checks that a signed note carries a valid signature by key, and returns its text.
async function openNote(note, key) {
  const end = note.indexOf('\n\n');
  if (end < 0) throw new LogError('signature');
  const text = note.slice(0, end + 1);
  let pub;
  try {
    pub = await crypto.subtle.importKey('raw', key.pub, { name: 'Ed25519' }, false, ['verify']);
  } catch (e) {
    throw new LogError('unsupported');
  }
  for (const line of note.slice(end + 2).split('\n')) {
    const m = line.match(/^\u2014 (\S+) (\S+)$/);
    if (!m || m[1] !== key.name) continue;
    let sig;
    try { sig = unb64(m[2]); } catch (e) { continue; }
    if (sig.length !== 68 || hex(sig.slice(0, 4)) !== key.hash) continue;
    if (await crypto.subtle.verify({ name: 'Ed25519' }, pub, sig.slice(4), enc.encode(text))) return text;
  }
  throw new LogError('signature');
}

const bitLength = (n) => n.toString(2).replace(/^0+/, '').length;
const popCount = (n) => n.toString(2).split('').filter((c) => c === '1').length;

// rootFromInclusion is the RFC 6962 root that an audit path (leaf to root) implies for the leaf
// hash at index in a tree of size leaves (as transparency-dev/merkle's RootFromInclusionProof).
async function rootFromInclusion(index, size, hash, path) {
  if (index >= size) throw new LogError('root');
  const inner = bitLength(index ^ (size - 1n));
  if (path.length !== inner + popCount(index >> BigInt(inner))) throw new LogError('root');
  for (let i = 0; i < path.length; i++) {
    const right = i < inner && ((index >> BigInt(i)) & 1n) === 0n;
    hash = right ? await nodeHash(hash, path[i]) : await nodeHash(path[i], hash);
  }
  return hash;
}

// verifyInclusion checks proof (GET /api/v1/receipts/{receipt}/proof) for receipt against the note
// verifier key vkey (GET /api/v1/log-key). It answers {index, size, root, origin} (root in hex)
// or throws a LogError.
export async function verifyInclusion(receipt, proof, vkey) {
  const key = parseKey(vkey);
  const [origin, sizeLine, rootLine] = (await openNote(proof.checkpoint, key)).split('\n');
  const size = /^\d+$/.test(sizeLine) ? BigInt(sizeLine) : -1n;
  if (size !== BigInt(proof.tree_size) || !origin.endsWith('/' + proof.poll)) throw new LogError('checkpoint');
  const root = unb64(rootLine);
  const leaf = unb64(proof.leaf);
  let entry;
  try { entry = JSON.parse(new TextDecoder().decode(leaf)); } catch (e) { throw new LogError('leaf'); }
  if (entry.type !== 'ballot' || entry.receipt_hash !== hex(await sha256(enc.encode(receipt)))) throw new LogError('leaf');
  const index = BigInt(proof.index);
  const got = await rootFromInclusion(index, size, await leafHash(leaf), proof.hashes.map(unb64));
  if (hex(got) !== hex(root)) throw new LogError('root');
  const out = { index: Number(index), size: Number(size), root: hex(root), origin, choices: entry.choices || [] };
  if (proof.opening) out.opening = await verifyOpening(entry, proof.opening, size, root);
  return out;
}

const sealLabel = enc.encode('livevote sealed tree v1\n');

// verifyOpening checks an opening (the "opening" of a proof once the log is open) against the
// public tree of size leaves and root: the seal leaf is in that tree; its commitment is
// SHA-256(label || salt || sealed size (8 bytes, big endian) || sealed root); the first entry is
// this receipt's sealed ballot (with the public leaf's choices) and every other a review of it,
// each in the sealed tree. It answers {index, held, reviews: [{type, by}], sealedSize} or throws a
// LogError ('opening').
async function verifyOpening(ballot, o, size, root) {
  const receiptHash = ballot.receipt_hash;
  const fail = () => { throw new LogError('opening'); };
  const sealLeaf = unb64(o.seal.leaf);
  const got = await rootFromInclusion(BigInt(o.seal.index), size, await leafHash(sealLeaf), o.seal.hashes.map(unb64));
  if (hex(got) !== hex(root)) fail();
  const sealedSize = BigInt(o.sealed_size);
  const sealedRoot = unb64(o.sealed_root);
  const n = new Uint8Array(8);
  new DataView(n.buffer).setBigUint64(0, sealedSize);
  const commitment = hex(await sha256(sealLabel, Uint8Array.from(o.salt.match(/../g) || [], (h) => parseInt(h, 16)), n, sealedRoot));
  let seal;
  try { seal = JSON.parse(new TextDecoder().decode(sealLeaf)); } catch (e) { fail(); }
  if (seal.type !== 'seal' || seal.commitment !== commitment) fail();
  const entries = [];
  for (const p of o.entries || []) {
    const leaf = unb64(p.leaf);
    const r = await rootFromInclusion(BigInt(p.index), sealedSize, await leafHash(leaf), p.hashes.map(unb64)).catch(fail);
    if (hex(r) !== hex(sealedRoot)) fail();
    let e;
    try { e = JSON.parse(new TextDecoder().decode(leaf)); } catch (x) { fail(); }
    if (e.receipt_hash !== receiptHash) fail();
    entries.push(e);
  }
  if (!entries.length || entries[0].type !== 'ballot' || entries.slice(1).some((e) => e.type !== 'release' && e.type !== 'void')) fail();
  if (JSON.stringify(entries[0].choices || []) !== JSON.stringify(ballot.choices || []) || entries[0].at !== ballot.at) fail();
  return {
    index: Number(o.entries[0].index),
    held: entries[0].held === true,
    reviews: entries.slice(1).map((e) => ({ type: e.type, by: e.by || '' })),
    sealedSize: Number(sealedSize),
  };
}
