// Veltrix wire protocol v1 — JavaScript codec.
//
// A plain ES module for browsers and Node: no build step, no dependencies.
// ../SPEC.md is normative; this codec and the Go one are both checked against
// ../testdata/golden.json.
//
// Messages are plain objects: {type: "POSITION", seq, lat, lng, accuracy, time}.
// Integers are Numbers (u64 times are exact below 2^53); H3 cells are their
// canonical lower-case hexadecimal strings.

export const VERSION = 1;

export const MessageType = Object.freeze({
  HELLO: 0x01, POSITION: 0x02, CLAIM: 0x03, PING: 0x04, BYE: 0x05,
  WELCOME: 0x41, CELL_UPDATE: 0x42, TREASURES: 0x43, HINT: 0x44, CLAIM_RESULT: 0x45,
  EVENT: 0x46, HUNT_STATUS: 0x47, ERROR: 0x48, REDIRECT: 0x49, PONG: 0x4a,
});

const typeNames = new Map(Object.entries(MessageType).map(([k, v]) => [v, k]));

export const HEADER_SIZE = 3;
export const MAX_MESSAGE = 16384;
export const MAX_BODY = MAX_MESSAGE - HEADER_SIZE;
export const MAX_WS_FRAME = 65536;
export const MAX_DATAGRAM = 1200;
export const MAX_TOKEN = 2048;
export const MAX_TEXT = 256;
export const MAX_URL = 1024;
export const MAX_CELL_ENTRIES = 960;
export const MAX_TREASURE_ENTRIES = 1000;
export const MAX_LEADERS = 10;

export const Code = Object.freeze({
  normal: 0, bad_message: 1, unsupported_version: 2, unauthorized: 3, token_expired: 4,
  wrong_hunt: 5, rate_limited: 6, impossible_speed: 7, too_slow: 8, hello_required: 9,
  hunt_not_active: 10, shutting_down: 11, message_too_large: 12, internal: 13, redirect: 14,
  invalid_position: 15,
});

/** The WebSocket close code that carries a protocol code. */
export const closeCodeForWebSocket = (code) => 4000 + code;

export const Kind = Object.freeze({ unknown: 0, browser: 1, mobile: 2, bot: 3 });
export const CellOp = Object.freeze({ entered: 1, moved: 2, left: 3 });
export const Flags = Object.freeze({ SNAPSHOT: 1, CONTINUED: 2 });
export const TreasureState = Object.freeze({ available: 0, claimed: 1, hidden: 2 });
export const Band = Object.freeze({ unknown: 0, burning: 1, hot: 2, warm: 3, cool: 4, cold: 5, freezing: 6 });
export const Outcome = Object.freeze({
  won: 1, already_claimed: 2, too_far: 3, hunt_not_active: 4, unknown_treasure: 5, rate_limited: 6, unavailable: 7,
});
export const EventKind = Object.freeze({ treasure_claimed: 1, treasure_spawned: 2, hunt_started: 3, hunt_ended: 4 });
export const HuntState = Object.freeze({ scheduled: 1, active: 2, ended: 3 });

/** A decoding or encoding error. kind: "truncated" | "too_large" | "malformed". */
export class ProtocolError extends Error {
  constructor(kind, message) {
    super(`protocol: ${message}`);
    this.name = 'ProtocolError';
    this.kind = kind;
    this.code = kind === 'too_large' ? Code.message_too_large : Code.bad_message;
  }
}

const truncated = (what) => new ProtocolError('truncated', `truncated ${what}`);
const tooLarge = (what) => new ProtocolError('too_large', `${what} too large`);

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

// ---- reading -------------------------------------------------------------

class Reader {
  constructor(view, off, end) {
    this.v = view;
    this.off = off;
    this.end = end;
  }
  need(n, what) {
    if (this.end - this.off < n) throw truncated(what);
  }
  u8() { const x = this.v.getUint8(this.off); this.off += 1; return x; }
  u16() { const x = this.v.getUint16(this.off, true); this.off += 2; return x; }
  u32() { const x = this.v.getUint32(this.off, true); this.off += 4; return x; }
  i32() { const x = this.v.getInt32(this.off, true); this.off += 4; return x; }
  u64() { const x = Number(this.v.getBigUint64(this.off, true)); this.off += 8; return x; }
  cell() { const x = this.v.getBigUint64(this.off, true).toString(16); this.off += 8; return x; }
  bytes16(max, what) {
    this.need(2, what);
    const n = this.u16();
    if (n > max) throw tooLarge(what);
    this.need(n, what);
    const b = new Uint8Array(this.v.buffer, this.v.byteOffset + this.off, n);
    this.off += n;
    return utf8Decoder.decode(b);
  }
  count(wide, size, max, what) {
    const n = wide === 1 ? this.u8() : this.u16();
    if (n > max) throw tooLarge(what);
    if (Math.floor((this.end - this.off) / size) < n) throw truncated(what);
    return n;
  }
}

// Fixed body sizes: a shorter body is truncated (SPEC §3).
const decoders = {
  HELLO(r) {
    r.need(8, 'HELLO');
    return { version: r.u8(), kind: r.u8(), hunt: r.u32(), token: r.bytes16(MAX_TOKEN, 'token') };
  },
  POSITION(r) {
    r.need(22, 'POSITION');
    return { seq: r.u32(), lat: r.i32(), lng: r.i32(), accuracy: r.u16(), time: r.u64() };
  },
  CLAIM(r) { r.need(8, 'CLAIM'); return { request: r.u32(), treasure: r.u32() }; },
  PING(r) { r.need(8, 'PING'); return { time: r.u64() }; },
  BYE(r) { r.need(2, 'BYE'); return { code: r.u16() }; },
  WELCOME(r) {
    r.need(19, 'WELCOME');
    return { player: r.u32(), hunt: r.u32(), resolution: r.u8(), tickHz: r.u8(), radius: r.u8(), time: r.u64() };
  },
  CELL_UPDATE(r) {
    r.need(15, 'CELL_UPDATE');
    const cell = r.cell(), tick = r.u32(), flags = r.u8();
    const n = r.count(2, 17, MAX_CELL_ENTRIES, 'CELL_UPDATE entries');
    const entries = new Array(n);
    for (let i = 0; i < n; i++) {
      entries[i] = { op: r.u8(), player: r.u32(), lat: r.i32(), lng: r.i32(), stamp: r.u32() };
    }
    return { cell, tick, flags, entries };
  },
  TREASURES(r) {
    r.need(3, 'TREASURES');
    const flags = r.u8();
    const n = r.count(2, 15, MAX_TREASURE_ENTRIES, 'TREASURES entries');
    const treasures = new Array(n);
    for (let i = 0; i < n; i++) {
      treasures[i] = { treasure: r.u32(), lat: r.i32(), lng: r.i32(), points: r.u16(), state: r.u8() };
    }
    return { flags, treasures };
  },
  HINT(r) { r.need(3, 'HINT'); return { band: r.u8(), bearing: r.u16() }; },
  CLAIM_RESULT(r) {
    r.need(17, 'CLAIM_RESULT');
    return { request: r.u32(), treasure: r.u32(), outcome: r.u8(), points: r.u32(), score: r.u32() };
  },
  EVENT(r) {
    r.need(29, 'EVENT');
    return { kind: r.u8(), hunt: r.u32(), treasure: r.u32(), player: r.u32(), lat: r.i32(), lng: r.i32(), time: r.u64() };
  },
  HUNT_STATUS(r) {
    r.need(34, 'HUNT_STATUS');
    const m = {
      hunt: r.u32(), state: r.u8(), total: r.u32(), remaining: r.u32(), players: r.u32(),
      starts: r.u64(), ends: r.u64(),
    };
    const n = r.count(1, 8, MAX_LEADERS, 'HUNT_STATUS leaders');
    m.leaders = new Array(n);
    for (let i = 0; i < n; i++) m.leaders[i] = { player: r.u32(), score: r.u32() };
    return m;
  },
  ERROR(r) { r.need(4, 'ERROR'); return { code: r.u16(), text: r.bytes16(MAX_TEXT, 'text') }; },
  REDIRECT(r) { r.need(4, 'REDIRECT'); return { code: r.u16(), url: r.bytes16(MAX_URL, 'url') }; },
  PONG(r) { r.need(16, 'PONG'); return { echo: r.u64(), time: r.u64() }; },
};

const asView = (bytes) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Splits the first message off bytes[off:]: returns {type (number), bodyStart,
 * bodyEnd} or throws ProtocolError. Unknown types are returned too.
 */
export function splitMessage(bytes, off = 0) {
  if (bytes.length - off < HEADER_SIZE) throw truncated('header');
  const type = bytes[off];
  if (type === 0) throw new ProtocolError('malformed', 'message type 0x00');
  const n = bytes[off + 1] | (bytes[off + 2] << 8);
  if (n > MAX_BODY) throw tooLarge('message');
  if (bytes.length - off - HEADER_SIZE < n) throw truncated('body');
  return { type, bodyStart: off + HEADER_SIZE, bodyEnd: off + HEADER_SIZE + n };
}

/** Decodes one body of a known type number; throws on unknown types. */
export function decodeMessage(type, body) {
  const name = typeNames.get(type);
  if (!name) throw new ProtocolError('malformed', `unknown message type 0x${type.toString(16)}`);
  const r = new Reader(asView(body), 0, body.length);
  return { type: name, ...decoders[name](r) };
}

/**
 * Decodes every message of a frame (WebSocket payload, datagram or stream
 * chunk holding whole messages). Unknown types are skipped by length.
 */
export function decodeFrame(bytes) {
  const out = [];
  const view = asView(bytes);
  for (let off = 0; off < bytes.length;) {
    const { type, bodyStart, bodyEnd } = splitMessage(bytes, off);
    const name = typeNames.get(type);
    if (name) {
      const r = new Reader(view, bodyStart, bodyEnd);
      out.push({ type: name, ...decoders[name](r) });
    }
    off = bodyEnd;
  }
  return out;
}

/** Reassembles messages from a byte stream (WebTransport stream) chunk by chunk. */
export class MessageReader {
  constructor() {
    this.buf = new Uint8Array(0);
  }
  /** Adds a chunk and returns the whole messages it completes. */
  push(chunk) {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf, 0);
    joined.set(chunk, this.buf.length);
    let off = 0;
    const msgs = [];
    while (joined.length - off >= HEADER_SIZE) {
      const n = joined[off + 1] | (joined[off + 2] << 8);
      if (joined[off] === 0) throw new ProtocolError('malformed', 'message type 0x00');
      if (n > MAX_BODY) throw tooLarge('message');
      if (joined.length - off - HEADER_SIZE < n) break;
      msgs.push(...decodeFrame(joined.subarray(off, off + HEADER_SIZE + n)));
      off += HEADER_SIZE + n;
    }
    this.buf = joined.slice(off);
    return msgs;
  }
  /** Bytes of an incomplete message held back. */
  get pending() { return this.buf.length; }
}

// ---- writing -------------------------------------------------------------

class Writer {
  constructor(size = 256) {
    this.b = new Uint8Array(size);
    this.v = new DataView(this.b.buffer);
    this.off = 0;
  }
  grow(n) {
    if (this.off + n <= this.b.length) return;
    let size = this.b.length * 2;
    while (size < this.off + n) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.b.subarray(0, this.off));
    this.b = nb;
    this.v = new DataView(nb.buffer);
  }
  u8(x) { this.grow(1); this.v.setUint8(this.off, uint(x, 0xff)); this.off += 1; }
  u16(x) { this.grow(2); this.v.setUint16(this.off, uint(x, 0xffff), true); this.off += 2; }
  u32(x) { this.grow(4); this.v.setUint32(this.off, uint(x, 0xffffffff), true); this.off += 4; }
  i32(x) {
    if (!Number.isInteger(x) || x < -0x80000000 || x > 0x7fffffff) throw new RangeError(`${x} is not an int32`);
    this.grow(4); this.v.setInt32(this.off, x, true); this.off += 4;
  }
  u64(x) {
    if (!Number.isSafeInteger(x) || x < 0) throw new RangeError(`${x} is not a safe unsigned integer`);
    this.grow(8); this.v.setBigUint64(this.off, BigInt(x), true); this.off += 8;
  }
  cell(hex) {
    if (typeof hex !== 'string' || !/^[0-9a-f]{1,16}$/.test(hex)) throw new RangeError(`cell ${hex} is not hexadecimal`);
    this.grow(8); this.v.setBigUint64(this.off, BigInt('0x' + hex), true); this.off += 8;
  }
  bytes16(s, max, what) {
    const b = utf8Encoder.encode(s ?? '');
    if (b.length > max) throw tooLarge(what);
    this.u16(b.length);
    this.grow(b.length);
    this.b.set(b, this.off);
    this.off += b.length;
  }
  list(items, max, what, each) {
    if (items.length > max) throw tooLarge(what);
    for (const it of items) each(it);
  }
}

function uint(x, max) {
  if (!Number.isInteger(x) || x < 0 || x > max) throw new RangeError(`${x} is out of range 0..${max}`);
  return x;
}

const encoders = {
  HELLO(w, m) { w.u8(m.version); w.u8(m.kind); w.u32(m.hunt); w.bytes16(m.token, MAX_TOKEN, 'token'); },
  POSITION(w, m) { w.u32(m.seq); w.i32(m.lat); w.i32(m.lng); w.u16(m.accuracy); w.u64(m.time); },
  CLAIM(w, m) { w.u32(m.request); w.u32(m.treasure); },
  PING(w, m) { w.u64(m.time); },
  BYE(w, m) { w.u16(m.code); },
  WELCOME(w, m) { w.u32(m.player); w.u32(m.hunt); w.u8(m.resolution); w.u8(m.tickHz); w.u8(m.radius); w.u64(m.time); },
  CELL_UPDATE(w, m) {
    w.cell(m.cell); w.u32(m.tick); w.u8(m.flags); w.u16(Math.min(m.entries.length, 0xffff));
    w.list(m.entries, MAX_CELL_ENTRIES, 'CELL_UPDATE entries', (e) => {
      w.u8(e.op); w.u32(e.player); w.i32(e.lat); w.i32(e.lng); w.u32(e.stamp);
    });
  },
  TREASURES(w, m) {
    w.u8(m.flags); w.u16(Math.min(m.treasures.length, 0xffff));
    w.list(m.treasures, MAX_TREASURE_ENTRIES, 'TREASURES entries', (t) => {
      w.u32(t.treasure); w.i32(t.lat); w.i32(t.lng); w.u16(t.points); w.u8(t.state);
    });
  },
  HINT(w, m) { w.u8(m.band); w.u16(m.bearing); },
  CLAIM_RESULT(w, m) { w.u32(m.request); w.u32(m.treasure); w.u8(m.outcome); w.u32(m.points); w.u32(m.score); },
  EVENT(w, m) { w.u8(m.kind); w.u32(m.hunt); w.u32(m.treasure); w.u32(m.player); w.i32(m.lat); w.i32(m.lng); w.u64(m.time); },
  HUNT_STATUS(w, m) {
    w.u32(m.hunt); w.u8(m.state); w.u32(m.total); w.u32(m.remaining); w.u32(m.players);
    w.u64(m.starts); w.u64(m.ends); w.u8(Math.min(m.leaders.length, 0xff));
    w.list(m.leaders, MAX_LEADERS, 'HUNT_STATUS leaders', (l) => { w.u32(l.player); w.u32(l.score); });
  },
  ERROR(w, m) { w.u16(m.code); w.bytes16(m.text, MAX_TEXT, 'text'); },
  REDIRECT(w, m) { w.u16(m.code); w.bytes16(m.url, MAX_URL, 'url'); },
  PONG(w, m) { w.u64(m.echo); w.u64(m.time); },
};

function writeMessage(w, msg) {
  const enc = encoders[msg.type];
  if (!enc) throw new ProtocolError('malformed', `unknown message type ${msg.type}`);
  const start = w.off;
  w.u8(MessageType[msg.type]);
  w.u16(0);
  enc(w, msg);
  const n = w.off - start - HEADER_SIZE;
  if (n > MAX_BODY) throw tooLarge('message');
  w.v.setUint16(start + 1, n, true);
}

/** Encodes one message, header included. */
export function encode(msg) {
  const w = new Writer();
  writeMessage(w, msg);
  return w.b.slice(0, w.off);
}

/** Encodes several messages back to back into one frame. */
export function encodeFrame(msgs) {
  const w = new Writer();
  for (const m of msgs) writeMessage(w, m);
  return w.b.slice(0, w.off);
}
