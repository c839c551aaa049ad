import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encode, encodeFrame, decodeFrame, decodeMessage, splitMessage, MessageReader, ProtocolError,
  MessageType, Code, closeCodeForWebSocket, MAX_DATAGRAM, MAX_CELL_ENTRIES, MAX_TOKEN,
} from '../veltrix-protocol.js';

// A deterministic PRNG (mulberry32) so property tests are repeatable.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomMessage(r) {
  const u = (max) => Math.floor(r() * (max + 1));
  const i32 = () => u(0xffffffff) - 0x80000000;
  const u64 = () => u(2 ** 52);
  const str = (n) => Array.from({ length: u(n) }, () => String.fromCharCode(0x20 + u(0x5e))).join('') + (r() < 0.3 ? 'é✓' : '');
  const makers = [
    () => ({ type: 'HELLO', version: u(255), kind: u(3), hunt: u(0xffffffff), token: str(200) }),
    () => ({ type: 'POSITION', seq: u(0xffffffff), lat: i32(), lng: i32(), accuracy: u(0xffff), time: u64() }),
    () => ({ type: 'CLAIM', request: u(0xffffffff), treasure: u(0xffffffff) }),
    () => ({ type: 'PING', time: u64() }),
    () => ({ type: 'BYE', code: u(15) }),
    () => ({ type: 'WELCOME', player: u(1e9), hunt: u(1e6), resolution: u(15), tickHz: u(60), radius: u(3), time: u64() }),
    () => ({
      type: 'CELL_UPDATE', cell: (0x8000000000000n + BigInt(u(2 ** 40))).toString(16), tick: u(1e9), flags: u(3),
      entries: Array.from({ length: u(80) }, () => ({ op: 1 + u(2), player: u(1e9), lat: i32(), lng: i32(), stamp: u(0xffffffff) })),
    }),
    () => ({
      type: 'TREASURES', flags: u(1),
      treasures: Array.from({ length: u(30) }, () => ({ treasure: u(1e9), lat: i32(), lng: i32(), points: u(0xffff), state: u(2) })),
    }),
    () => ({ type: 'HINT', band: u(6), bearing: u(35999) }),
    () => ({ type: 'CLAIM_RESULT', request: u(1e9), treasure: u(1e9), outcome: 1 + u(6), points: u(1e6), score: u(1e9) }),
    () => ({ type: 'EVENT', kind: 1 + u(3), hunt: u(1e6), treasure: u(1e9), player: u(1e9), lat: i32(), lng: i32(), time: u64() }),
    () => ({
      type: 'HUNT_STATUS', hunt: u(1e6), state: 1 + u(2), total: u(1e5), remaining: u(1e5), players: u(1e7),
      starts: u64(), ends: u64(), leaders: Array.from({ length: u(10) }, () => ({ player: u(1e9), score: u(1e9) })),
    }),
    () => ({ type: 'ERROR', code: u(15), text: str(100) }),
    () => ({ type: 'REDIRECT', code: 14, url: 'wss://' + str(50) }),
    () => ({ type: 'PONG', echo: u64(), time: u64() }),
  ];
  return makers[u(makers.length - 1)]();
}

test('randomised round trips of every message type', () => {
  const r = rng(20261128);
  const seen = new Set();
  for (let i = 0; i < 3000; i++) {
    const m = randomMessage(r);
    seen.add(m.type);
    const bytes = encode(m);
    assert.deepEqual(decodeFrame(bytes), [m]);
  }
  assert.equal(seen.size, Object.keys(MessageType).length);
});

test('frames of several messages and unknown types', () => {
  const a = { type: 'PING', time: 5 };
  const b = { type: 'CLAIM', request: 1, treasure: 2 };
  const unknown = Uint8Array.of(0x7f, 2, 0, 9, 9);
  const frame = new Uint8Array([...encode(a), ...unknown, ...encode(b)]);
  assert.deepEqual(decodeFrame(frame), [a, b]);
  assert.throws(() => decodeMessage(0x7f, Uint8Array.of()), ProtocolError);
  const { type, bodyStart, bodyEnd } = splitMessage(frame, 0);
  assert.deepEqual([type, bodyStart, bodyEnd], [MessageType.PING, 3, 11]);
});

test('every truncation of every message is a truncated error', () => {
  const r = rng(7);
  for (let i = 0; i < 200; i++) {
    const bytes = encode(randomMessage(r));
    for (let n = 1; n < bytes.length; n++) {
      assert.throws(() => decodeFrame(bytes.subarray(0, n)), (e) => e instanceof ProtocolError && e.kind === 'truncated');
    }
  }
});

test('limits', () => {
  assert.throws(() => encode({ type: 'HELLO', version: 1, kind: 1, hunt: 1, token: 'x'.repeat(MAX_TOKEN + 1) }),
    (e) => e.kind === 'too_large' && e.code === Code.message_too_large);
  const entries = Array.from({ length: MAX_CELL_ENTRIES + 1 }, () => ({ op: 2, player: 1, lat: 0, lng: 0, stamp: 0 }));
  assert.throws(() => encode({ type: 'CELL_UPDATE', cell: '1', tick: 0, flags: 0, entries }), (e) => e.kind === 'too_large');
  // The largest CELL_UPDATE that fits a datagram (SPEC §3: 69 entries).
  const fit = encode({ type: 'CELL_UPDATE', cell: '8928308280fffff', tick: 0, flags: 0, entries: entries.slice(0, 69) });
  assert.ok(fit.length <= MAX_DATAGRAM);
  assert.ok(fit.length + 17 > MAX_DATAGRAM);
  assert.throws(() => encode({ type: 'PING', time: 2 ** 53 }), RangeError);
  assert.throws(() => encode({ type: 'POSITION', seq: -1, lat: 0, lng: 0, accuracy: 0, time: 0 }), RangeError);
  assert.throws(() => encode({ type: 'NOPE' }), ProtocolError);
  assert.equal(closeCodeForWebSocket(Code.too_slow), 4008);
});

test('MessageReader reassembles a stream split at every byte', () => {
  const r = rng(99);
  const msgs = Array.from({ length: 40 }, () => randomMessage(r));
  const stream = encodeFrame(msgs);
  for (const step of [1, 2, 3, 7, 64, 1000]) {
    const reader = new MessageReader();
    const got = [];
    for (let off = 0; off < stream.length; off += step) {
      got.push(...reader.push(stream.subarray(off, off + step)));
    }
    assert.deepEqual(got, msgs, `chunks of ${step}`);
    assert.equal(reader.pending, 0);
  }
  const reader = new MessageReader();
  assert.throws(() => reader.push(Uint8Array.of(0x42, 0xff, 0xff)), (e) => e.kind === 'too_large');
});
