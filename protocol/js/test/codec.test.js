// Unit and property tests of the JavaScript codec against SPEC.md. The golden
// vectors shared with the Go codec are checked in golden.test.js.
//
// Everything here is deterministic: random inputs come from a seeded PRNG.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as P from '../veltrix-protocol.js';
import {
  encode, encodeFrame, decodeFrame, decodeMessage, splitMessage, MessageReader, readMessages, ProtocolError,
  MessageType, Code, closeCodeForWebSocket, codeFromWebSocketClose, codeName, isFatal,
  MAX_MESSAGE, MAX_BODY, MAX_DATAGRAM, MAX_TOKEN, MAX_TEXT, MAX_URL, MAX_CELL_ENTRIES, MAX_TREASURE_ENTRIES,
  MAX_LEADERS, MAX_DATAGRAM_CELL_ENTRIES,
} from '../veltrix-protocol.js';

// ---- helpers ---------------------------------------------------------------------

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const fromHex = (h) => new Uint8Array(Buffer.from(h, 'hex'));
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
};

/** A message of type t with the given body, built by hand. */
const rawMessage = (t, body) => concat(Uint8Array.of(t, body.length & 0xff, body.length >> 8), body);

const isProtocolError = (kind) => (e) => {
  assert.ok(e instanceof ProtocolError, `expected a ProtocolError, got ${e}`);
  assert.equal(e.kind, kind, e.message);
  assert.equal(e.code, kind === 'too_large' ? Code.message_too_large : Code.bad_message);
  return true;
};

// ---- the spec tables as data -----------------------------------------------------
//
// SPEC §2.1/§2.2 transcribed field by field, and an encoder built from them with
// Buffer (independently of the codec). The codec must produce exactly these bytes.

const ENTRY = [['op', 'u8'], ['player', 'u32'], ['lat', 'i32'], ['lng', 'i32'], ['stamp', 'u32']];
const TREASURE = [['treasure', 'u32'], ['lat', 'i32'], ['lng', 'i32'], ['points', 'u16'], ['state', 'u8']];
const LEADER = [['player', 'u32'], ['score', 'u32']];
const CHILD = [['cell', 'cell'], ['count', 'u16'], ['lat', 'i32'], ['lng', 'i32']];
const FINE = [['player', 'u32'], ['dlat', 'i8'], ['dlng', 'i8']];

const SPEC = {
  HELLO: [0x01, [['version', 'u8'], ['kind', 'u8'], ['hunt', 'u32'], ['token', 'bytes16', MAX_TOKEN]]],
  POSITION: [0x02, [['seq', 'u32'], ['lat', 'i32'], ['lng', 'i32'], ['accuracy', 'u16'], ['time', 'u64']]],
  CLAIM: [0x03, [['request', 'u32'], ['treasure', 'u32']]],
  PING: [0x04, [['time', 'u64']]],
  BYE: [0x05, [['code', 'u16']]],
  TOKEN: [0x06, [['token', 'bytes16', MAX_TOKEN]]],
  WELCOME: [0x41, [['player', 'u32'], ['hunt', 'u32'], ['resolution', 'u8'], ['tickHz', 'u8'], ['radius', 'u8'], ['time', 'u64']]],
  CELL_UPDATE: [0x42, [['cell', 'cell'], ['tick', 'u32'], ['flags', 'u8'], ['entries', 'list16', MAX_CELL_ENTRIES, ENTRY]]],
  TREASURES: [0x43, [['flags', 'u8'], ['treasures', 'list16', MAX_TREASURE_ENTRIES, TREASURE]]],
  HINT: [0x44, [['band', 'u8'], ['bearing', 'u16']]],
  CLAIM_RESULT: [0x45, [['request', 'u32'], ['treasure', 'u32'], ['outcome', 'u8'], ['points', 'u32'], ['score', 'u32']]],
  EVENT: [0x46, [['kind', 'u8'], ['hunt', 'u32'], ['treasure', 'u32'], ['player', 'u32'], ['lat', 'i32'], ['lng', 'i32'], ['time', 'u64']]],
  HUNT_STATUS: [0x47, [
    ['hunt', 'u32'], ['state', 'u8'], ['total', 'u32'], ['remaining', 'u32'], ['players', 'u32'],
    ['starts', 'u64'], ['ends', 'u64'], ['leaders', 'list8', MAX_LEADERS, LEADER],
  ]],
  ERROR: [0x48, [['code', 'u16'], ['text', 'bytes16', MAX_TEXT]]],
  REDIRECT: [0x49, [['code', 'u16'], ['url', 'bytes16', MAX_URL]]],
  PONG: [0x4a, [['echo', 'u64'], ['time', 'u64']]],
  CELL_SUMMARY: [0x4b, [
    ['cell', 'cell'], ['tick', 'u32'], ['count', 'u32'], ['lat', 'i32'], ['lng', 'i32'],
    ['children', 'list8', P.MAX_SUMMARY_CHILDREN, CHILD],
  ]],
  TICK_RATE: [0x4c, [['tickHz', 'u8'], ['reason', 'u8']]],
  FINE_CELL: [0x4d, [
    ['cell', 'cell'], ['tick', 'u32'], ['flags', 'u8'], ['lat', 'i32'], ['lng', 'i32'], ['stamp', 'u32'],
    ['entries', 'list16', MAX_CELL_ENTRIES, FINE],
  ]],
};

const WIDTH = { u8: 1, i8: 1, u16: 2, u32: 4, i32: 4, u64: 8, cell: 8, bytes16: 2, list16: 2, list8: 1 };

/** The fixed body size of a type: every field up to and including the counts and lengths. */
const fixedSize = (name) => SPEC[name][1].reduce((n, [, kind]) => n + WIDTH[kind], 0);

function specFields(fields, obj, out) {
  for (const [key, kind, , sub] of fields) {
    const x = obj[key];
    const b = Buffer.alloc(WIDTH[kind]);
    switch (kind) {
      case 'u8': b.writeUInt8(x); break;
      case 'u16': b.writeUInt16LE(x); break;
      case 'i8': b.writeInt8(x); break;
      case 'u32': b.writeUInt32LE(x); break;
      case 'i32': b.writeInt32LE(x); break;
      case 'u64': b.writeBigUInt64LE(BigInt(x)); break;
      case 'cell': b.writeBigUInt64LE(BigInt('0x' + x)); break;
      case 'bytes16': {
        const s = Buffer.from(x, 'utf8');
        b.writeUInt16LE(s.length);
        out.push(b, s);
        continue;
      }
      case 'list16': case 'list8':
        if (kind === 'list8') b.writeUInt8(x.length); else b.writeUInt16LE(x.length);
        out.push(b);
        for (const e of x) specFields(sub, e, out);
        continue;
    }
    out.push(b);
  }
}

/** Encodes a message straight from the spec tables. */
function specEncode(msg) {
  const [type, fields] = SPEC[msg.type];
  const parts = [];
  specFields(fields, msg, parts);
  const body = Buffer.concat(parts);
  return new Uint8Array(Buffer.concat([Buffer.from([type, body.length & 0xff, body.length >> 8]), body]));
}

// ---- random messages ---------------------------------------------------------------

const SAMPLE_CHARS = ['a', 'Z', '0', ' ', '~', 'é', 'ß', '✓', '✗', '中', '😀', '🗺', '\u0000', '\ufeff', '\u{10ffff}'];

function generator(seed) {
  const r = prng(seed);
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  // Numbers biased towards the edges of their ranges.
  const pick = (lo, hi) => {
    const x = r();
    if (x < 0.1) return lo;
    if (x < 0.2) return hi;
    if (x < 0.3) return int(lo, Math.min(hi, lo + 255));
    return int(lo, hi);
  };
  const gen = {
    u8: () => pick(0, 0xff),
    u16: () => pick(0, 0xffff),
    i8: () => pick(-0x80, 0x7f),
    u32: () => pick(0, 0xffffffff),
    i32: () => pick(-0x80000000, 0x7fffffff),
    u64: () => pick(0, Number.MAX_SAFE_INTEGER),
    cell: () => {
      const x = r();
      if (x < 0.05) return '0';
      if (x < 0.1) return 'ffffffffffffffff';
      const hi = BigInt(int(0, 0xffffffff)) >> BigInt(int(0, 31));
      return ((hi << 32n) | BigInt(int(0, 0xffffffff))).toString(16);
    },
    bytes16: (max) => {
      const n = r() < 0.05 ? max : int(0, Math.min(max, 120));
      let s = '';
      while (s.length < n) s += r() < 0.7 ? String.fromCharCode(int(0x20, 0x7e)) : SAMPLE_CHARS[int(0, SAMPLE_CHARS.length - 1)];
      while (Buffer.byteLength(s) > max) s = s.slice(0, -1);
      if (s.length && (s.charCodeAt(s.length - 1) & 0xfc00) === 0xd800) s = s.slice(0, -1); // no split pair
      return s;
    },
  };
  const fill = (fields, maxList) => {
    const m = {};
    for (const [key, kind, max, sub] of fields) {
      if (kind === 'list16' || kind === 'list8') {
        const n = r() < 0.02 ? Math.min(max, maxList) : int(0, Math.min(max, 12));
        m[key] = Array.from({ length: n }, () => fill(sub));
      } else {
        m[key] = gen[kind](max);
      }
    }
    return m;
  };
  const names = Object.keys(SPEC);
  return {
    r,
    int,
    /** A random message; maxList caps list lengths (default: the type's limit). */
    message(name = names[int(0, names.length - 1)], maxList = Infinity) {
      return { type: name, ...fill(SPEC[name][1], maxList) };
    },
    /** Random bytes. */
    bytes(n) {
      return Uint8Array.from({ length: n }, () => int(0, 255));
    },
  };
}

// ---- constants ---------------------------------------------------------------------

describe('constants (SPEC §2–§4)', () => {
  test('message types', () => {
    assert.equal(P.VERSION, 1);
    const want = Object.fromEntries(Object.entries(SPEC).map(([name, [type]]) => [name, type]));
    assert.deepEqual({ ...MessageType }, want);
    assert.ok(Object.isFrozen(MessageType));
    for (const [name, type] of Object.entries(MessageType)) assert.equal(P.messageTypeName(type), name);
    assert.equal(P.messageTypeName(0), undefined);
    assert.equal(P.messageTypeName(0x80), undefined);
  });

  test('limits', () => {
    assert.deepEqual(
      [P.HEADER_SIZE, MAX_MESSAGE, MAX_BODY, P.MAX_WS_FRAME, MAX_DATAGRAM, MAX_TOKEN, MAX_TEXT, MAX_URL],
      [3, 16384, 16381, 65536, 1200, 2048, 256, 1024],
    );
    assert.deepEqual([MAX_CELL_ENTRIES, MAX_TREASURE_ENTRIES, MAX_LEADERS, MAX_DATAGRAM_CELL_ENTRIES], [960, 1000, 10, 69]);
    assert.deepEqual([P.CELL_ENTRY_SIZE, P.TREASURE_ENTRY_SIZE, P.LEADER_ENTRY_SIZE], [17, 15, 8]);
  });

  test('codes, names, fatality and close codes', () => {
    const table = [
      ['normal', true], ['bad_message', true], ['unsupported_version', true], ['unauthorized', true],
      ['token_expired', true], ['wrong_hunt', true], ['rate_limited', false], ['impossible_speed', false],
      ['too_slow', true], ['hello_required', true], ['hunt_not_active', false], ['shutting_down', true],
      ['message_too_large', true], ['internal', true], ['redirect', true], ['invalid_position', false],
      ['idle', true], ['replaced', true],
    ];
    assert.equal(Object.keys(Code).length, table.length);
    table.forEach(([name, fatal], code) => {
      assert.equal(Code[name], code);
      assert.equal(codeName(code), name);
      assert.equal(isFatal(code), fatal, name);
      assert.equal(closeCodeForWebSocket(code), 4000 + code);
      assert.equal(codeFromWebSocketClose(4000 + code), code);
    });
    assert.equal(codeName(99), 'code(99)');
    assert.equal(isFatal(99), true);
    assert.equal(codeFromWebSocketClose(1000), undefined);
    assert.throws(() => closeCodeForWebSocket(-1), RangeError);
    assert.throws(() => closeCodeForWebSocket(1.5), RangeError);
  });

  test('field values', () => {
    assert.deepEqual({ ...P.Kind }, { unknown: 0, browser: 1, mobile: 2, bot: 3 });
    assert.deepEqual({ ...P.CellOp }, { entered: 1, moved: 2, left: 3 });
    assert.deepEqual({ ...P.Flags }, { SNAPSHOT: 1, CONTINUED: 2, ORIGIN_SNAPSHOT: 4, REFINED: 8 });
    assert.deepEqual({ ...P.TreasureState }, { available: 0, claimed: 1, hidden: 2 });
    assert.deepEqual({ ...P.Band }, { unknown: 0, burning: 1, hot: 2, warm: 3, cool: 4, cold: 5, freezing: 6 });
    assert.deepEqual({ ...P.Outcome }, {
      won: 1, already_claimed: 2, too_far: 3, hunt_not_active: 4, unknown_treasure: 5, rate_limited: 6, unavailable: 7,
      request_reused: 8,
    });
    assert.deepEqual({ ...P.EventKind }, { treasure_claimed: 1, treasure_spawned: 2, hunt_started: 3, hunt_ended: 4 });
    assert.deepEqual({ ...P.HuntState }, { scheduled: 1, active: 2, ended: 3 });
  });

  test('ProtocolError', () => {
    const e = new ProtocolError('too_large', 'x');
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'ProtocolError');
    assert.equal(e.code, Code.message_too_large);
    assert.equal(new ProtocolError('truncated', 'x').code, Code.bad_message);
    assert.equal(new ProtocolError('malformed', 'x').code, Code.bad_message);
  });
});

// ---- encoding and decoding -----------------------------------------------------------

describe('messages', () => {
  test('hand-checked bytes', () => {
    const cases = [
      [{ type: 'HINT', band: 3, bearing: 27000 }, '440300037869'],
      [{ type: 'BYE', code: 0 }, '0502000000'],
      [{ type: 'CLAIM', request: 1, treasure: 123456 }, '0308000100000040e20100'],
      [{ type: 'POSITION', seq: 1, lat: -1, lng: 2, accuracy: 3, time: 2 ** 32 + 5 },
        '021600' + '01000000' + 'ffffffff' + '02000000' + '0300' + '0500000001000000'],
      [{ type: 'ERROR', code: 12, text: 'é' }, '480600' + '0c00' + '0200' + 'c3a9'],
      [{ type: 'HELLO', version: 1, kind: 2, hunt: 7, token: '' }, '010800' + '01' + '02' + '07000000' + '0000'],
      [{ type: 'TOKEN', token: 'a.b' }, '060500' + '0300' + '612e62'],
      [{ type: 'CELL_UPDATE', cell: '8928308280fffff', tick: 1, flags: 3, entries: [] },
        '420f00' + 'ffff0f2808839208' + '01000000' + '03' + '0000'],
      [{ type: 'HUNT_STATUS', hunt: 1, state: 2, total: 3, remaining: 4, players: 5, starts: 6, ends: 7, leaders: [{ player: 8, score: 9 }] },
        '472a00' + '01000000' + '02' + '03000000' + '04000000' + '05000000' + '0600000000000000' + '0700000000000000' + '01' +
        '08000000' + '09000000'],
    ];
    for (const [msg, want] of cases) {
      assert.equal(hex(encode(msg)), want, msg.type);
      assert.deepEqual(decodeFrame(fromHex(want)), [msg]);
    }
  });

  test('every type matches the spec tables (randomised, seeded)', () => {
    const g = generator(20261128);
    const seen = new Set();
    for (let i = 0; i < 4000; i++) {
      const m = g.message();
      seen.add(m.type);
      const want = specEncode(m);
      const got = encode(m);
      assert.equal(hex(got), hex(want), `${m.type} #${i}`);
      assert.equal(got.byteOffset, 0);
      assert.equal(got.buffer.byteLength, got.length, 'encode allocates exactly the message');
      assert.deepEqual(decodeFrame(want), [m]);
      assert.deepEqual(decodeMessage(MessageType[m.type], want.subarray(3)), m);
    }
    assert.equal(seen.size, Object.keys(SPEC).length);
  });

  test('extreme field values round-trip', () => {
    for (const [name, [, fields]] of Object.entries(SPEC)) {
      for (const side of ['lo', 'hi']) {
        const val = {
          u8: side === 'lo' ? 0 : 0xff,
          u16: side === 'lo' ? 0 : 0xffff,
          i8: side === 'lo' ? -0x80 : 0x7f,
          u32: side === 'lo' ? 0 : 0xffffffff,
          i32: side === 'lo' ? -0x80000000 : 0x7fffffff,
          u64: side === 'lo' ? 0 : Number.MAX_SAFE_INTEGER,
          cell: side === 'lo' ? '0' : 'ffffffffffffffff',
        };
        const fill = (fs) => Object.fromEntries(fs.map(([k, kind, max, sub]) => {
          if (kind === 'bytes16') return [k, side === 'lo' ? '' : 'x'.repeat(max)];
          if (kind.startsWith('list')) return [k, side === 'lo' ? [] : Array.from({ length: max }, () => fill(sub))];
          return [k, val[kind]];
        }));
        const m = { type: name, ...fill(fields) };
        const b = encode(m);
        assert.ok(b.length <= MAX_MESSAGE, `${name} at its limits is ${b.length} bytes`);
        assert.equal(hex(b), hex(specEncode(m)));
        assert.deepEqual(decodeFrame(b), [m], `${name} ${side}`);
      }
    }
  });

  test('frames of several messages', () => {
    const g = generator(11);
    for (let i = 0; i < 200; i++) {
      const msgs = Array.from({ length: g.int(0, 8) }, () => g.message(undefined, 20));
      const frame = encodeFrame(msgs);
      assert.equal(hex(frame), hex(concat(...msgs.map(encode))));
      assert.deepEqual(decodeFrame(frame), msgs);
    }
    assert.equal(encodeFrame([]).length, 0);
    assert.deepEqual(decodeFrame(new Uint8Array(0)), []);
  });

  test('cells are canonical lower-case hexadecimal', () => {
    const cu = (cell) => ({ type: 'CELL_UPDATE', cell, tick: 0, flags: 0, entries: [] });
    for (const [cell, canonical] of [['0', '0'], ['000a', 'a'], ['8928308280fffff', '8928308280fffff'],
      ['ffffffffffffffff', 'ffffffffffffffff'], ['0000000000000001', '1']]) {
      assert.equal(decodeFrame(encode(cu(cell)))[0].cell, canonical);
    }
    for (const bad of ['', 'G', '8928308280FFFFF', '0x12', '1ffffffffffffffff', ' 1', '-1']) {
      assert.throws(() => encode(cu(bad)), RangeError, JSON.stringify(bad));
    }
    for (const bad of [0x8928308280fffff, 1n, null, undefined]) assert.throws(() => encode(cu(bad)), TypeError);
  });

  test('u64 times are exact Numbers below 2^53', () => {
    const ping = (time) => ({ type: 'PING', time });
    assert.deepEqual(decodeFrame(encode(ping(Number.MAX_SAFE_INTEGER))), [ping(Number.MAX_SAFE_INTEGER)]);
    for (const bad of [2 ** 53, 2 ** 64, -1, 1.5, NaN, Infinity]) assert.throws(() => encode(ping(bad)), RangeError, String(bad));
    for (const bad of [5n, '5', null, undefined]) assert.throws(() => encode(ping(bad)), TypeError, String(bad));
    // Beyond 2^53 (year 2255) the decoder returns the nearest Number, like Number(BigInt).
    assert.deepEqual(decodeFrame(fromHex('040800' + 'ffffffffffffffff')), [ping(2 ** 64)]);
    assert.deepEqual(decodeFrame(fromHex('040800' + '0100000000002000')), [ping(2 ** 53)]); // 2^53+1 rounds to even
  });

  test('numeric fields are range-checked on encode', () => {
    const pos = { type: 'POSITION', seq: 1, lat: 0, lng: 0, accuracy: 0, time: 0 };
    for (const [field, bad] of [['seq', -1], ['seq', 2 ** 32], ['seq', 0.5], ['lat', 2 ** 31], ['lng', -(2 ** 31) - 1],
      ['accuracy', 65536], ['accuracy', NaN]]) {
      assert.throws(() => encode({ ...pos, [field]: bad }), (e) => e instanceof RangeError && e.message.includes(`POSITION.${field}`));
    }
    for (const field of ['seq', 'lat', 'lng', 'accuracy', 'time']) {
      const m = { ...pos };
      delete m[field];
      assert.throws(() => encode(m), TypeError, `missing ${field}`);
    }
    assert.throws(() => encode({ ...pos, lat: '1' }), TypeError);
    assert.throws(() => encode({ type: 'HINT', band: 256, bearing: 0 }), RangeError);
    assert.throws(() => encode({ type: 'CELL_UPDATE', cell: '1', tick: 0, flags: 0, entries: [{ op: 9, player: -1, lat: 0, lng: 0, stamp: 0 }] }),
      RangeError);
    assert.throws(() => encode({ type: 'CELL_UPDATE', cell: '1', tick: 0, flags: 0, entries: {} }), TypeError);
    assert.throws(() => encode({ type: 'TREASURES', flags: 0 }), TypeError);
    assert.throws(() => encode({ type: 'HUNT_STATUS', hunt: 1, state: 1, total: 0, remaining: 0, players: 0, starts: 0, ends: 0, leaders: [null] }),
      TypeError);
  });

  test('messages that cannot be encoded', () => {
    for (const bad of [{ type: 'NOPE' }, { type: 'constructor' }, { type: 'toString' }, {}, { type: 0x04, time: 1 }]) {
      assert.throws(() => encode(bad), isProtocolError('malformed'));
    }
    for (const bad of [null, undefined, 4, 'PING']) assert.throws(() => encode(bad), TypeError);
    assert.throws(() => encodeFrame({ type: 'PING', time: 1 }), TypeError);
    assert.throws(() => encodeFrame([{ type: 'PING', time: 1 }, null]), TypeError);
    assert.throws(() => encode({ type: 'HELLO', version: 1, kind: 1, hunt: 1, token: null }), TypeError);
    assert.throws(() => encode({ type: 'ERROR', code: 1 }), TypeError);
  });

  test('bytes past the known fields are ignored (SPEC §5)', () => {
    const g = generator(5);
    for (let i = 0; i < 600; i++) {
      const m = g.message(undefined, 30);
      const b = encode(m);
      const extra = g.bytes(g.int(1, 40));
      const body = concat(b.subarray(3), extra);
      const longer = rawMessage(b[0], body);
      // A CELL_UPDATE's or FINE_CELL's first 4 bytes past its entries are its origin (SPEC §2.5).
      const origin = extra.length >= 4 ? new DataView(extra.buffer, extra.byteOffset).getUint32(0, true) : 0;
      const want = (m.type === 'CELL_UPDATE' || m.type === 'FINE_CELL') && origin !== 0 ? { ...m, origin } : m;
      assert.deepEqual(decodeFrame(longer), [want], m.type);
      assert.deepEqual(decodeFrame(concat(longer, b)), [want, m]);
      assert.deepEqual(decodeMessage(b[0], body), want);
    }
  });
});

describe('text fields', () => {
  const hello = (token) => ({ type: 'HELLO', version: 1, kind: 1, hunt: 1, token });

  test('UTF-8 on the wire, limits counted in bytes', () => {
    assert.equal(hex(encode({ type: 'REDIRECT', code: 14, url: '✓😀' })), '490b00' + '0e00' + '0700' + 'e29c93' + 'f09f9880');
    for (const [token, ok] of [['x'.repeat(2048), true], ['x'.repeat(2049), false], ['é'.repeat(1024), true],
      ['é'.repeat(1024) + 'x', false], ['😀'.repeat(512), true], ['😀'.repeat(512) + 'x', false],
      ['✓'.repeat(682) + 'xx', true], ['✓'.repeat(683), false]]) {
      if (ok) assert.deepEqual(decodeFrame(encode(hello(token))), [hello(token)]);
      else assert.throws(() => encode(hello(token)), isProtocolError('too_large'));
    }
    const err = (text) => ({ type: 'ERROR', code: 1, text });
    assert.doesNotThrow(() => encode(err('ü'.repeat(128))));
    assert.throws(() => encode(err('ü'.repeat(128) + '.')), isProtocolError('too_large'));
    const redirect = (url) => ({ type: 'REDIRECT', code: 14, url });
    assert.doesNotThrow(() => encode(redirect('u'.repeat(MAX_URL))));
    assert.throws(() => encode(redirect('u'.repeat(MAX_URL + 1))), isProtocolError('too_large'));
  });

  test('sizes agree with TextEncoder for arbitrary UTF-16, lone surrogates included', () => {
    const g = generator(77);
    const units = [0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xfeff, 0xffff];
    for (let i = 0; i < 3000; i++) {
      const s = String.fromCharCode(...Array.from({ length: g.int(0, 12) },
        () => (g.r() < 0.5 ? units[g.int(0, units.length - 1)] : g.int(0, 0xffff))));
      const want = new TextEncoder().encode(s);
      const b = encode(hello(s));
      assert.equal(b.length, 11 + want.length);
      assert.equal(hex(b.subarray(11)), hex(want));
      assert.equal(decodeFrame(b)[0].token, new TextDecoder('utf-8', { ignoreBOM: true }).decode(want));
    }
  });

  test('a leading BOM and NULs are kept', () => {
    for (const s of ['\ufeffabc', '\ufeff', 'a\u0000b', '\u0000']) assert.deepEqual(decodeFrame(encode(hello(s))), [hello(s)]);
    assert.equal(decodeFrame(fromHex('48070007000300efbbbf'))[0].text, '\ufeff');
  });

  test('invalid UTF-8 decodes with U+FFFD and never throws', () => {
    const cases = [['ff', '\ufffd'], ['41c3', 'A\ufffd'], ['e29c41', '\ufffdA'], ['eda080', '\ufffd\ufffd\ufffd'],
      ['c0af', '\ufffd\ufffd'], ['f4908080', '\ufffd\ufffd\ufffd\ufffd']];
    for (const [bytes, want] of cases) {
      const b = fromHex(bytes);
      const frame = rawMessage(0x48, concat(Uint8Array.of(7, 0, b.length, 0), b));
      assert.deepEqual(decodeFrame(frame), [{ type: 'ERROR', code: 7, text: want }], bytes);
    }
  });
});

// ---- errors ------------------------------------------------------------------------------

describe('protocol errors (SPEC §3)', () => {
  test('every cut of a frame is truncated', () => {
    const g = generator(7);
    for (let i = 0; i < 300; i++) {
      const frame = encodeFrame(Array.from({ length: g.int(1, 3) }, () => g.message(undefined, 8)));
      const ends = new Set();
      for (let off = 0; off < frame.length; off = splitMessage(frame, off).bodyEnd) ends.add(off);
      for (let n = 1; n < frame.length; n++) {
        if (ends.has(n)) continue; // a cut between messages is a valid, shorter frame
        assert.throws(() => decodeFrame(frame.subarray(0, n)), isProtocolError('truncated'), `cut at ${n}`);
      }
    }
  });

  test('a body shorter than its fixed fields is truncated', () => {
    const g = generator(8);
    for (const name of Object.keys(SPEC)) {
      const b = encode(g.message(name, 0));
      const fixed = fixedSize(name);
      for (let n = 0; n < fixed; n++) {
        const short = rawMessage(b[0], b.subarray(3, 3 + n));
        assert.throws(() => decodeFrame(short), isProtocolError('truncated'), `${name} with ${n} of ${fixed} bytes`);
        assert.throws(() => decodeMessage(b[0], b.subarray(3, 3 + n)), isProtocolError('truncated'));
      }
      assert.doesNotThrow(() => decodeFrame(rawMessage(b[0], concat(b.subarray(3, 3 + fixed - WIDTH.u16), new Uint8Array(2)))));
    }
  });

  test('counts and lengths that overrun the body are truncated', () => {
    const cases = [
      ['CELL_UPDATE', { type: 'CELL_UPDATE', cell: '1', tick: 0, flags: 0, entries: [{ op: 1, player: 1, lat: 0, lng: 0, stamp: 0 }] }],
      ['TREASURES', { type: 'TREASURES', flags: 0, treasures: [{ treasure: 1, lat: 0, lng: 0, points: 0, state: 0 }] }],
      ['HUNT_STATUS', { type: 'HUNT_STATUS', hunt: 1, state: 1, total: 0, remaining: 0, players: 0, starts: 0, ends: 0, leaders: [{ player: 1, score: 2 }] }],
      ['FINE_CELL', { type: 'FINE_CELL', cell: '1', tick: 0, flags: 1, lat: 0, lng: 0, stamp: 0, entries: [{ player: 1, dlat: -1, dlng: 1 }] }],
    ];
    for (const [name, m] of cases) {
      const b = encode(m);
      const countAt = 3 + fixedSize(name) - (name === 'HUNT_STATUS' ? 1 : 2);
      b[countAt] = 2; // two entries announced, one present
      assert.throws(() => decodeFrame(b), isProtocolError('truncated'), name);
      // One byte short of the last entry.
      b[countAt] = 1;
      assert.throws(() => decodeFrame(rawMessage(b[0], b.subarray(3, b.length - 1))), isProtocolError('truncated'), name);
    }
    for (const [type, max] of [[0x01, MAX_TOKEN], [0x48, MAX_TEXT], [0x49, MAX_URL]]) {
      const fixed = type === 0x01 ? 6 : 2;
      const body = new Uint8Array(fixed + 2 + max - 1);
      body[fixed] = max & 0xff;
      body[fixed + 1] = max >> 8;
      assert.throws(() => decodeFrame(rawMessage(type, body)), isProtocolError('truncated'));
    }
  });

  test('limits are too_large, checked before the bytes are looked for', () => {
    const empty = (type, fixed, countAt, count, wide) => {
      const body = new Uint8Array(fixed);
      body[countAt] = count & 0xff;
      if (wide) body[countAt + 1] = count >> 8;
      return rawMessage(type, body);
    };
    assert.throws(() => decodeFrame(empty(0x42, 15, 13, 961, true)), isProtocolError('too_large'));
    assert.throws(() => decodeFrame(empty(0x43, 3, 1, 1001, true)), isProtocolError('too_large'));
    assert.throws(() => decodeFrame(empty(0x47, 34, 33, 11, false)), isProtocolError('too_large'));
    assert.throws(() => decodeFrame(empty(0x4d, 27, 25, 961, true)), isProtocolError('too_large'));
    assert.throws(() => decodeFrame(empty(0x01, 8, 6, MAX_TOKEN + 1, true)), isProtocolError('too_large'));
    assert.throws(() => decodeFrame(empty(0x48, 4, 2, MAX_TEXT + 1, true)), isProtocolError('too_large'));
    assert.throws(() => decodeFrame(empty(0x49, 4, 2, MAX_URL + 1, true)), isProtocolError('too_large'));
    // Over the limit even when every byte is there.
    const full = new Uint8Array(15 + 961 * 17);
    full[13] = 961 & 0xff;
    full[14] = 961 >> 8;
    assert.throws(() => decodeFrame(rawMessage(0x42, full)), isProtocolError('too_large'));
    const leaders = new Uint8Array(34 + 11 * 8);
    leaders[33] = 11;
    assert.throws(() => decodeFrame(rawMessage(0x47, leaders)), isProtocolError('too_large'));
    // Exactly at the limits is fine.
    const ok = new Uint8Array(15 + 960 * 17);
    ok[13] = 960 & 0xff;
    ok[14] = 960 >> 8;
    assert.equal(decodeFrame(rawMessage(0x42, ok))[0].entries.length, 960);
  });

  test('message size: a header announcing more than 16381 body bytes is too_large', () => {
    for (const type of [0x04, 0x42, 0x7e, 0xff]) {
      assert.throws(() => decodeFrame(Uint8Array.of(type, 0xfe, 0x3f)), isProtocolError('too_large'));
      assert.throws(() => decodeFrame(Uint8Array.of(type, 0xff, 0xff)), isProtocolError('too_large'));
    }
    const big = new Uint8Array(MAX_MESSAGE + 1);
    big.set([0x42, 0xfe, 0x3f]);
    assert.throws(() => decodeFrame(big), isProtocolError('too_large'));
    // 16381 body bytes: the largest message. Unknown types are skipped, known ones ignore the tail.
    const max = new Uint8Array(MAX_MESSAGE);
    max.set([0x7e, 0xfd, 0x3f]);
    assert.deepEqual(decodeFrame(max), []);
    max.set([0x04, 0xfd, 0x3f, 1]);
    assert.deepEqual(decodeFrame(max), [{ type: 'PING', time: 1 }]);
    assert.throws(() => decodeMessage(0x04, new Uint8Array(MAX_BODY + 1)), isProtocolError('too_large'));
  });

  test('type 0x00 is malformed wherever it appears', () => {
    assert.throws(() => decodeFrame(Uint8Array.of(0, 0, 0)), isProtocolError('malformed'));
    assert.throws(() => decodeFrame(concat(encode({ type: 'PING', time: 1 }), Uint8Array.of(0, 1, 0, 9))), isProtocolError('malformed'));
    assert.throws(() => decodeFrame(Uint8Array.of(0, 0xff, 0xff)), isProtocolError('malformed'));
    assert.throws(() => decodeFrame(Uint8Array.of(0, 0)), isProtocolError('truncated')); // the header is not complete
    assert.throws(() => decodeMessage(0, new Uint8Array(8)), isProtocolError('malformed'));
  });

  test('a datagram or frame holding a cut message is not partly returned', () => {
    const frame = concat(encode({ type: 'PING', time: 1 }), encode({ type: 'PING', time: 2 }).subarray(0, 5));
    assert.throws(() => decodeFrame(frame), isProtocolError('truncated'));
  });
});

describe('unknown message types (SPEC §5)', () => {
  test('are skipped by their length in frames', () => {
    const g = generator(3);
    const a = { type: 'PING', time: 5 };
    const b = { type: 'CLAIM', request: 1, treasure: 2 };
    for (let t = 1; t <= 0xff; t++) {
      if (P.messageTypeName(t)) continue;
      for (const n of [0, 1, 37]) {
        const frame = concat(encode(a), rawMessage(t, g.bytes(n)), encode(b), rawMessage(t, g.bytes(n)));
        assert.deepEqual(decodeFrame(frame), [a, b], `type 0x${t.toString(16)}`);
      }
      assert.throws(() => decodeMessage(t, new Uint8Array(0)), isProtocolError('malformed'));
      assert.throws(() => decodeFrame(rawMessage(t, g.bytes(4)).subarray(0, 6)), isProtocolError('truncated'));
    }
    assert.deepEqual(decodeFrame(rawMessage(0x80, new Uint8Array(0))), []);
  });

  test('splitMessage returns the type and body of any message', () => {
    const frame = concat(encode({ type: 'PING', time: 5 }), rawMessage(0x7f, Uint8Array.of(9, 9)));
    assert.deepEqual(splitMessage(frame, 0), { type: 0x04, bodyStart: 3, bodyEnd: 11 });
    assert.deepEqual(splitMessage(frame, 11), { type: 0x7f, bodyStart: 14, bodyEnd: 16 });
    assert.throws(() => splitMessage(frame, 15), isProtocolError('truncated'));
  });
});

describe('inputs', () => {
  test('any byte container, at any offset', () => {
    const m = { type: 'POSITION', seq: 42, lat: 523730796, lng: 48924534, accuracy: 45, time: 1795000000123456 };
    const b = encode(m);
    // The message in the middle of a larger buffer at an odd offset, surrounded by junk.
    const big = new Uint8Array(b.length + 10).fill(0xee);
    big.set(b, 5);
    const view = big.subarray(5, 5 + b.length);
    for (const input of [b, b.buffer, Buffer.from(b), view, new DataView(big.buffer, 5, b.length), new Int8Array(big.buffer, 5, b.length)]) {
      assert.deepEqual(decodeFrame(input), [m]);
    }
    assert.deepEqual(decodeMessage(0x02, big.subarray(8, 5 + b.length)), m);
    for (const bad of [null, undefined, 'abc', [2, 0, 0], 42]) assert.throws(() => decodeFrame(bad), TypeError);
  });

  test('decoded messages do not alias the input', () => {
    const b = encode({ type: 'ERROR', code: 6, text: 'slow down' });
    const [m] = decodeFrame(b);
    b.fill(0x41);
    assert.deepEqual(m, { type: 'ERROR', code: 6, text: 'slow down' });
  });

  test('random bytes decode or throw a ProtocolError, nothing else', () => {
    const g = generator(424242);
    const pool = [];
    for (let i = 0; i < 50; i++) pool.push(encodeFrame(Array.from({ length: g.int(1, 4) }, () => g.message(undefined, 6))));
    let decoded = 0;
    for (let i = 0; i < 20000; i++) {
      let b;
      if (i % 2 === 0) {
        b = g.bytes(g.int(0, 64));
      } else { // a valid frame with a few bytes changed
        b = pool[g.int(0, pool.length - 1)].slice();
        for (let k = g.int(1, 3); k > 0; k--) b[g.int(0, b.length - 1)] = g.int(0, 255);
      }
      let frameResult;
      try {
        frameResult = decodeFrame(b);
        decoded++;
      } catch (e) {
        assert.ok(e instanceof ProtocolError, `${hex(b)}: ${e}`);
        frameResult = e;
      }
      // The stream reader agrees with the frame decoder.
      const reader = new MessageReader();
      const got = [];
      try {
        for (let off = 0; off < b.length; off += 5) got.push(...reader.push(b.subarray(off, off + 5)));
        reader.end();
      } catch (e) {
        assert.ok(frameResult instanceof ProtocolError, `${hex(b)}: reader threw ${e.kind}, frame decoded`);
        assert.equal(e.kind, frameResult.kind, hex(b));
        continue;
      }
      assert.deepEqual(got, frameResult, hex(b));
    }
    assert.ok(decoded > 1000, `only ${decoded} decoded`);
  });
});

describe('sizes for carriage (SPEC §3)', () => {
  const entry = { op: 2, player: 4294967295, lat: -900000000, lng: 1800000000, stamp: 4294967295 };
  const cellUpdate = (n) => ({ type: 'CELL_UPDATE', cell: '8928308280fffff', tick: 1, flags: 0, entries: Array(n).fill(entry) });

  test('a full CELL_UPDATE fits a message, 69 entries fit a datagram', () => {
    assert.ok(encode(cellUpdate(MAX_CELL_ENTRIES)).length <= MAX_MESSAGE);
    assert.throws(() => encode(cellUpdate(MAX_CELL_ENTRIES + 1)), isProtocolError('too_large'));
    assert.ok(encode(cellUpdate(MAX_DATAGRAM_CELL_ENTRIES)).length <= MAX_DATAGRAM);
    assert.ok(encode(cellUpdate(MAX_DATAGRAM_CELL_ENTRIES + 1)).length > MAX_DATAGRAM);
  });

  test('list limits on encode', () => {
    const t = { treasure: 1, lat: 0, lng: 0, points: 5, state: 0 };
    assert.equal(decodeFrame(encode({ type: 'TREASURES', flags: 1, treasures: Array(1000).fill(t) }))[0].treasures.length, 1000);
    assert.throws(() => encode({ type: 'TREASURES', flags: 1, treasures: Array(1001).fill(t) }), isProtocolError('too_large'));
    const hs = (n) => ({ type: 'HUNT_STATUS', hunt: 1, state: 2, total: 0, remaining: 0, players: 0, starts: 0, ends: 0,
      leaders: Array(n).fill({ player: 1, score: 1 }) });
    assert.equal(decodeFrame(encode(hs(10)))[0].leaders.length, 10);
    assert.throws(() => encode(hs(11)), isProtocolError('too_large'));
  });
});

describe('FINE_CELL (SPEC §2.2)', () => {
  const fine = (entries, more = {}) => ({ type: 'FINE_CELL', cell: '8c1969c9b3905ff', tick: 7, flags: P.Flags.SNAPSHOT,
    lat: 523730796, lng: -48924534, stamp: 4242, entries, ...more });
  const e = (player, dlat, dlng) => ({ player, dlat, dlng });

  test('sizes: 6 bytes an entry after 27 fixed ones, 194 entries in a datagram', () => {
    assert.deepEqual([P.FINE_ENTRY_SIZE, P.FINE_UNIT, P.MAX_DATAGRAM_FINE_ENTRIES], [6, 40, 194]);
    assert.equal(fixedSize('FINE_CELL'), 27);
    assert.equal(encode(fine([])).length, 3 + 27);
    assert.equal(encode(fine([e(1, 0, 0)], { origin: 9 })).length, 3 + 27 + 6 + 4);
    const full = (n) => fine(Array(n).fill(e(4294967295, -128, 127)), { origin: 0xffffffff });
    assert.ok(encode(full(P.MAX_DATAGRAM_FINE_ENTRIES)).length <= MAX_DATAGRAM);
    assert.ok(encode(full(P.MAX_DATAGRAM_FINE_ENTRIES + 1)).length > MAX_DATAGRAM);
  });

  test('hand-checked bytes round-trip, origin only when non-zero', () => {
    const m = fine([e(1001, 90, 0), e(1002, -8, -10), e(1003, -128, 127)], { origin: 5 });
    const want = '4d3100' + 'ff05399b9c96c108' + '07000000' + '01' + '6c7f371f' + '8a7815fd' + '92100000' + '0300' +
      'e9030000' + '5a' + '00' + 'ea030000' + 'f8' + 'f6' + 'eb030000' + '80' + '7f' + '05000000';
    assert.equal(hex(encode(m)), want);
    assert.deepEqual(decodeFrame(fromHex(want)), [m]);
    // Without an origin, or with origin 0, none is written and none decoded.
    const plain = fine([e(1, -1, 1)]);
    assert.equal(encode({ ...plain, origin: 0 }).length, encode(plain).length);
    assert.deepEqual(decodeFrame(encode({ ...plain, origin: 0 })), [plain]);
    assert.equal('origin' in decodeFrame(encode(plain))[0], false);
  });

  test('fields are range-checked on encode', () => {
    for (const [entry, field] of [[e(1, 128, 0), 'dlat'], [e(1, 0, -129), 'dlng'], [e(-1, 0, 0), 'player'], [e(1, 0.5, 0), 'dlat']]) {
      assert.throws(() => encode(fine([entry])), (err) => err instanceof RangeError && err.message.includes(`FINE_CELL entry ${field}`));
    }
    assert.throws(() => encode(fine([], { stamp: 2 ** 32 })), RangeError);
    assert.throws(() => encode(fine([], { lat: 2 ** 31 })), RangeError);
    assert.throws(() => encode(fine([e(1, '1', 0)])), TypeError);
    assert.throws(() => encode(fine(null)), TypeError);
  });

  test('a truncated body: short of its fixed fields, or of its entries', () => {
    const b = encode(fine([e(1, 2, 3), e(4, 5, 6)]));
    for (let n = 0; n < b.length - 3; n++) {
      if (n === 27 + 8 * 2) continue;
      assert.throws(() => decodeMessage(0x4d, b.subarray(3, 3 + n)), isProtocolError('truncated'), `${n} body bytes`);
    }
    b[3 + 25] = 3; // three entries announced, two present
    assert.throws(() => decodeFrame(b), isProtocolError('truncated'));
  });

  test('a count over MAX_CELL_ENTRIES is too_large, before the bytes are looked for', () => {
    const body = (n, entries) => {
      const x = new Uint8Array(27 + 8 * entries);
      x[25] = n & 0xff;
      x[26] = n >> 8;
      return rawMessage(0x4d, x);
    };
    assert.throws(() => decodeFrame(body(MAX_CELL_ENTRIES + 1, 0)), isProtocolError('too_large'));
    assert.throws(() => decodeFrame(body(MAX_CELL_ENTRIES + 1, MAX_CELL_ENTRIES + 1)), isProtocolError('too_large'));
    assert.throws(() => decodeFrame(body(0xffff, 0)), isProtocolError('too_large'));
    assert.equal(decodeFrame(body(MAX_CELL_ENTRIES, MAX_CELL_ENTRIES))[0].entries.length, MAX_CELL_ENTRIES);
    assert.throws(() => encode(fine(Array(MAX_CELL_ENTRIES + 1).fill(e(1, 0, 0)))), isProtocolError('too_large'));
    assert.ok(encode(fine(Array(MAX_CELL_ENTRIES).fill(e(1, 0, 0)))).length <= MAX_MESSAGE);
  });

  test('read as the REFINED snapshot it stands for', () => {
    const [m] = decodeFrame(encode(fine([e(1, 90, 0), e(2, -8, -10), e(3, -128, 127)], { origin: 77 })));
    const cu = P.fineCellAsCellUpdate(m);
    assert.deepEqual(cu, {
      type: 'CELL_UPDATE', cell: '8c1969c9b3905ff', tick: 7, flags: P.Flags.SNAPSHOT | P.Flags.REFINED, origin: 77,
      entries: [
        { op: P.CellOp.entered, player: 1, lat: 523734396, lng: -48924534, stamp: 0 },
        { op: P.CellOp.entered, player: 2, lat: 523730476, lng: -48924934, stamp: 0 },
        { op: P.CellOp.entered, player: 3, lat: 523725676, lng: -48919454, stamp: 0 },
      ],
    });
    // It is a CELL_UPDATE the codec carries as such.
    assert.deepEqual(decodeFrame(encode(cu)), [cu]);
    // CONTINUED keeps its flag, gains REFINED; no origin, none given.
    const cont = P.fineCellAsCellUpdate(fine([], { flags: P.Flags.CONTINUED }));
    assert.equal(cont.flags, P.Flags.CONTINUED | P.Flags.REFINED);
    assert.equal('origin' in cont, false);
    assert.deepEqual(cont.entries, []);
    // Past the int32 range the position wraps, as the Go codec's int32 arithmetic does.
    const [edge] = P.fineCellAsCellUpdate(fine([e(9, 1, -1)], { lat: 0x7ffffffa, lng: -0x80000000 })).entries;
    assert.deepEqual([edge.lat, edge.lng], [-0x7fffffde, 0x7fffffd8]);
  });
});

// ---- streams -------------------------------------------------------------------------------

describe('MessageReader', () => {
  const g = generator(99);
  const msgs = Array.from({ length: 40 }, (_, i) => g.message(undefined, i === 7 ? MAX_CELL_ENTRIES : 15));
  const parts = msgs.map(encode);
  // Unknown types between them, to be skipped.
  const stream = concat(...parts.flatMap((p, i) => (i % 5 === 2 ? [p, rawMessage(0x90 + i, g.bytes(i))] : [p])));

  const readAll = (chunks) => {
    const reader = new MessageReader();
    const got = [];
    for (const c of chunks) got.push(...reader.push(c));
    assert.equal(reader.pending, 0);
    reader.end();
    return got;
  };

  test('reassembles a stream split at every byte', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      assert.deepEqual(readAll([stream.subarray(0, cut), stream.subarray(cut)]), msgs, `split at ${cut}`);
    }
  });

  test('reassembles a stream in chunks of any size', () => {
    for (const step of [1, 2, 3, 4, 7, 17, 64, 1000, 16384, stream.length]) {
      const chunks = [];
      for (let off = 0; off < stream.length; off += step) chunks.push(stream.subarray(off, off + step));
      assert.deepEqual(readAll(chunks), msgs, `chunks of ${step}`);
    }
    const r = prng(1);
    for (let round = 0; round < 200; round++) {
      const chunks = [];
      for (let off = 0; off < stream.length;) {
        const n = Math.floor(r() * (r() < 0.5 ? 8 : 600)); // empty chunks included
        chunks.push(stream.subarray(off, off + n));
        off += n;
      }
      assert.deepEqual(readAll(chunks), msgs, `random chunks, round ${round}`);
    }
  });

  test('returns messages as soon as they are complete', () => {
    const reader = new MessageReader();
    const a = encode({ type: 'PING', time: 1 });
    const b = encode({ type: 'PING', time: 2 });
    assert.deepEqual(reader.push(a.subarray(0, 2)), []);
    assert.equal(reader.pending, 2);
    assert.deepEqual(reader.push(concat(a.subarray(2), b.subarray(0, 4))), [{ type: 'PING', time: 1 }]);
    assert.equal(reader.pending, 4);
    assert.deepEqual(reader.push(new Uint8Array(0)), []);
    assert.deepEqual(reader.push(b.subarray(4).buffer.slice(b.byteOffset + 4)), [{ type: 'PING', time: 2 }]);
    assert.equal(reader.pending, 0);
  });

  test('copies what it holds: the caller may reuse its chunk buffer', () => {
    const reader = new MessageReader();
    const b = encode({ type: 'ERROR', code: 6, text: 'rate limited' });
    const chunk = new Uint8Array(b.length);
    chunk.set(b);
    assert.deepEqual(reader.push(chunk.subarray(0, 9)), []);
    chunk.fill(0); // reused by the transport
    assert.deepEqual(reader.push(b.subarray(9)), [{ type: 'ERROR', code: 6, text: 'rate limited' }]);
  });

  test('enforces MAX_MESSAGE from the header alone', () => {
    const reader = new MessageReader();
    assert.deepEqual(reader.push(Uint8Array.of(0x42)), []);
    assert.deepEqual(reader.push(Uint8Array.of(0xfe)), []);
    assert.throws(() => reader.push(Uint8Array.of(0x3f)), isProtocolError('too_large'));
    assert.throws(() => new MessageReader().push(Uint8Array.of(0x80, 0xff, 0xff)), isProtocolError('too_large'));
    // The largest message passes.
    const max = new Uint8Array(MAX_MESSAGE);
    max.set([0x04, 0xfd, 0x3f, 7]);
    assert.deepEqual(readAll([max.subarray(0, 1), max.subarray(1, 9000), max.subarray(9000)]), [{ type: 'PING', time: 7 }]);
  });

  test('errors are final', () => {
    const reader = new MessageReader();
    const ping = encode({ type: 'PING', time: 1 });
    let first;
    assert.throws(() => reader.push(concat(ping, Uint8Array.of(0, 1, 0))), (e) => {
      first = e;
      return isProtocolError('malformed')(e);
    });
    assert.throws(() => reader.push(ping), (e) => e === first);
    assert.throws(() => reader.end(), (e) => e === first);
    const bad = new MessageReader();
    assert.deepEqual(bad.push(Uint8Array.of(0x02, 4, 0, 1)), []); // POSITION whose body is 4 of 22 bytes
    assert.throws(() => bad.push(Uint8Array.of(2, 3, 4)), isProtocolError('truncated'));
  });

  test('end() inside a message is truncated', () => {
    for (const n of [1, 2, 3, 10]) {
      const reader = new MessageReader();
      reader.push(encode({ type: 'PING', time: 1 }).subarray(0, n));
      assert.equal(reader.pending, n);
      assert.throws(() => reader.end(), isProtocolError('truncated'));
    }
    assert.doesNotThrow(() => new MessageReader().end());
  });

  test('readMessages over a ReadableStream and an async iterable', async () => {
    const chunks = [];
    for (let off = 0; off < stream.length; off += 333) chunks.push(stream.slice(off, off + 333));
    const source = () => {
      let i = 0;
      return new ReadableStream({ pull(c) { if (i < chunks.length) c.enqueue(chunks[i++]); else c.close(); } });
    };
    const got = [];
    for await (const m of readMessages(source())) got.push(m);
    assert.deepEqual(got, msgs);
    const got2 = [];
    for await (const m of readMessages((async function* () { yield* chunks; })())) got2.push(m);
    assert.deepEqual(got2, msgs);
    // A stream that ends inside a message.
    const cut = new ReadableStream({ start(c) { c.enqueue(stream.slice(0, 10)); c.close(); } });
    await assert.rejects(async () => { for await (const m of readMessages(cut)) void m; }, isProtocolError('truncated'));
  });

  test('readMessages cancels the stream when the consumer stops or the bytes are bad', async () => {
    // Long but finite streams, so that a regression fails instead of hanging.
    let cancelled = 0;
    const repeat = (bytes) => {
      let left = 10000;
      return new ReadableStream({
        pull(c) { if (left-- > 0) c.enqueue(bytes); else c.close(); },
        cancel() { cancelled++; },
      });
    };
    const endless = () => repeat(encode({ type: 'PING', time: 1 }));
    let n = 0;
    for await (const m of readMessages(endless())) {
      assert.equal(m.type, 'PING');
      if (++n === 3) break;
    }
    assert.equal(cancelled, 1);
    const bad = repeat(Uint8Array.of(0, 0, 0));
    await assert.rejects(async () => { for await (const m of readMessages(bad)) void m; }, isProtocolError('malformed'));
    assert.equal(cancelled, 2);
  });
});
