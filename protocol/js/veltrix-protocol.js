// Veltrix wire protocol v1 — JavaScript codec.
//
// A plain ES module for browsers and Node: no build step, no dependencies.
// ../SPEC.md is normative; this codec and the Go one (../*.go) are both checked
// against ../testdata/golden.json.
//
// A message is a plain object whose `type` is the spec name and whose fields are
// the spec's fields in camelCase:
//
//   {type: 'POSITION', seq: 42, lat: 523730796, lng: 48924534, accuracy: 45, time: 1795000000123456}
//
// Integers are Numbers: u64 times are exact below 2^53 (the encoder refuses
// anything else), H3 cells are their canonical lower-case hexadecimal strings,
// and token/text/url are strings (UTF-8 on the wire).

// ---- constants (SPEC §2–§4) --------------------------------------------------

/** The protocol version this module speaks, carried by HELLO. */
export const VERSION = 1;

/** Message type numbers by spec name. */
export const MessageType = Object.freeze({
  // client → edge
  HELLO: 0x01,
  POSITION: 0x02,
  CLAIM: 0x03,
  PING: 0x04,
  BYE: 0x05,
  TOKEN: 0x06,
  // edge → client
  WELCOME: 0x41,
  CELL_UPDATE: 0x42,
  TREASURES: 0x43,
  HINT: 0x44,
  CLAIM_RESULT: 0x45,
  EVENT: 0x46,
  HUNT_STATUS: 0x47,
  ERROR: 0x48,
  REDIRECT: 0x49,
  PONG: 0x4a,
  CELL_SUMMARY: 0x4b,
  TICK_RATE: 0x4c,
  FINE_CELL: 0x4d,
});

/** The spec name of a type number, or undefined for a type this version does not know. */
export function messageTypeName(type) {
  return Number.isInteger(type) && type >= 0 && type <= 0xff ? TYPE_NAMES[type] : undefined;
}

const TYPE_NAMES = new Array(256).fill(undefined);
for (const [name, type] of Object.entries(MessageType)) TYPE_NAMES[type] = name;

// Limits (SPEC §3).
export const HEADER_SIZE = 3; // type u8 + length u16
export const MAX_MESSAGE = 16384; // header + body
export const MAX_BODY = MAX_MESSAGE - HEADER_SIZE;
export const MAX_WS_FRAME = 65536; // WebSocket frame payload
export const MAX_DATAGRAM = 1200; // WebTransport datagram payload
export const MAX_TOKEN = 2048; // HELLO and TOKEN token bytes
export const MAX_TEXT = 256; // ERROR text bytes
export const MAX_URL = 1024; // REDIRECT url bytes
export const MAX_CELL_ENTRIES = 960; // CELL_UPDATE entries per message
export const MAX_TREASURE_ENTRIES = 1000; // TREASURES entries per message
export const MAX_LEADERS = 10; // HUNT_STATUS leaderboard rows (SPEC §2.2 "up to 10")
export const CELL_ENTRY_SIZE = 17; // op u8, player u32, lat i32, lng i32, stamp u32
export const TREASURE_ENTRY_SIZE = 15; // treasure u32, lat i32, lng i32, points u16, state u8
export const LEADER_ENTRY_SIZE = 8; // player u32, score u32
export const MAX_SUMMARY_CHILDREN = 49; // CELL_SUMMARY children (two resolutions finer)
export const SUMMARY_CHILD_SIZE = 18; // cell u64, count u16, lat i32, lng i32
const CELL_SUMMARY_FIXED = 25; // cell u64, tick u32, count u32, lat i32, lng i32, count u8
const CELL_UPDATE_FIXED = 15; // cell u64, tick u32, flags u8, count u16
/** CELL_UPDATE entries that fit in one datagram (69). */
export const MAX_DATAGRAM_CELL_ENTRIES = Math.floor((MAX_DATAGRAM - HEADER_SIZE - CELL_UPDATE_FIXED - 4) / CELL_ENTRY_SIZE); // 4: the origin (SPEC §2.5)
export const FINE_ENTRY_SIZE = 6; // player u32, dlat i8, dlng i8
/** E7 units (10⁻⁷°) of one FINE_CELL offset unit: a player is at lat + dlat × FINE_UNIT. */
export const FINE_UNIT = 40;
const FINE_CELL_FIXED = 27; // cell u64, tick u32, flags u8, lat i32, lng i32, stamp u32, count u16
/** FINE_CELL entries that fit in one datagram (194). Like CELL_UPDATE's, a FINE_CELL holds at most MAX_CELL_ENTRIES. */
export const MAX_DATAGRAM_FINE_ENTRIES = Math.floor((MAX_DATAGRAM - HEADER_SIZE - FINE_CELL_FIXED - 4) / FINE_ENTRY_SIZE); // 4: the origin

/** Error and close codes (SPEC §4). */
export const Code = Object.freeze({
  normal: 0,
  bad_message: 1,
  unsupported_version: 2,
  unauthorized: 3,
  token_expired: 4,
  wrong_hunt: 5,
  rate_limited: 6,
  impossible_speed: 7,
  too_slow: 8,
  hello_required: 9,
  hunt_not_active: 10,
  shutting_down: 11,
  message_too_large: 12,
  internal: 13,
  redirect: 14,
  invalid_position: 15,
  idle: 16,
  replaced: 17,
});

const CODE_NAMES = Object.keys(Code); // index = code: the table above is dense from 0
const NON_FATAL = new Set([Code.rate_limited, Code.impossible_speed, Code.hunt_not_active, Code.invalid_position]);

/** The spec name of a code ("bad_message"), or "code(N)" for one this version does not know. */
export function codeName(code) {
  return CODE_NAMES[code] ?? `code(${code})`;
}

/** Whether an ERROR with this code is followed by closing the connection. Unknown codes are fatal. */
export function isFatal(code) {
  return !NON_FATAL.has(code);
}

/** The WebSocket close status that carries a protocol code: 4000 + code. */
export function closeCodeForWebSocket(code) {
  if (!Number.isInteger(code) || code < 0 || code > 999) throw new RangeError(`close code ${code} is out of range 0..999`);
  return 4000 + code;
}

/** The protocol code carried by a WebSocket close status, or undefined if it carries none. */
export function codeFromWebSocketClose(status) {
  return Number.isInteger(status) && status >= 4000 && status <= 4999 ? status - 4000 : undefined;
}

/** HELLO client kinds. Other values are accepted by the edge and treated as unknown. */
export const Kind = Object.freeze({ unknown: 0, browser: 1, mobile: 2, bot: 3 });
/** CELL_UPDATE entry operations; receivers skip entries with any other op (SPEC §2.2). */
export const CellOp = Object.freeze({ entered: 1, moved: 2, left: 3 });
/** CELL_UPDATE and TREASURES flag bits. */
export const Flags = Object.freeze({ SNAPSHOT: 1, CONTINUED: 2, ORIGIN_SNAPSHOT: 4, REFINED: 8 });
/** TREASURES entry states. */
export const TreasureState = Object.freeze({ available: 0, claimed: 1, hidden: 2 });
/** HINT distance bands. */
export const Band = Object.freeze({ unknown: 0, burning: 1, hot: 2, warm: 3, cool: 4, cold: 5, freezing: 6 });
/** CLAIM_RESULT outcomes. */
export const Outcome = Object.freeze({
  won: 1,
  already_claimed: 2,
  too_far: 3,
  hunt_not_active: 4,
  unknown_treasure: 5,
  rate_limited: 6,
  unavailable: 7,
  request_reused: 8,
});
/** EVENT kinds. */
export const EventKind = Object.freeze({ treasure_claimed: 1, treasure_spawned: 2, hunt_started: 3, hunt_ended: 4 });
/** HUNT_STATUS states. */
export const HuntState = Object.freeze({ scheduled: 1, active: 2, ended: 3 });

// ---- errors -------------------------------------------------------------------

/**
 * A protocol error. `kind` is "truncated" (a header or body cut short, a body
 * shorter than its fixed fields, a count or length overrunning the body),
 * "too_large" (a message, field or count over its SPEC §3 limit) or "malformed"
 * (type 0x00, an unknown type where one must be known). `code` is the SPEC §4
 * code to close with: bad_message, or message_too_large for "too_large".
 */
export class ProtocolError extends Error {
  constructor(kind, message) {
    super(`protocol: ${message}`);
    this.name = 'ProtocolError';
    this.kind = kind;
    this.code = kind === 'too_large' ? Code.message_too_large : Code.bad_message;
  }
}

const truncated = (msg) => new ProtocolError('truncated', msg);
const tooLarge = (msg) => new ProtocolError('too_large', msg);
const malformed = (msg) => new ProtocolError('malformed', msg);

// ---- bytes ----------------------------------------------------------------------

const objectTag = (x) => Object.prototype.toString.call(x);

/** A Uint8Array over the bytes of a Uint8Array, other ArrayBufferView or ArrayBuffer (no copy). */
function asBytes(x) {
  if (x instanceof Uint8Array) return x;
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const tag = objectTag(x);
  if (tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]') return new Uint8Array(x);
  throw new TypeError(`expected a Uint8Array, ArrayBufferView or ArrayBuffer, got ${tag}`);
}

const viewOf = (b) => new DataView(b.buffer, b.byteOffset, b.byteLength);

// One encoder and decoder for the whole module. ignoreBOM keeps a leading
// U+FEFF as a character instead of silently dropping it; fatal:false turns
// invalid UTF-8 into U+FFFD (SPEC §1: never assume text is valid UTF-8).
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** The number of bytes TextEncoder produces for s (a lone surrogate becomes U+FFFD, 3 bytes). */
function utf8Length(s) {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      n += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
      i++;
    } else {
      n += 2;
    }
  }
  return n;
}

// ---- decoding -------------------------------------------------------------------

// Each decoder reads the body bytes[p:end] of one message (dv views the same
// bytes) and returns the message. A body shorter than the fixed fields is
// truncated; bytes after the known fields are ignored (SPEC §5).

function needBody(name, len, fixed) {
  if (len < fixed) throw truncated(`${name} body of ${len} bytes is shorter than its ${fixed} fixed bytes`);
}

const u64 = (dv, q) => Number(dv.getBigUint64(q, true));

function text(dv, b, q, end, max, what) {
  const n = dv.getUint16(q, true);
  if (n > max) throw tooLarge(`${what} of ${n} bytes exceeds ${max}`);
  q += 2;
  if (end - q < n) throw truncated(`${what} of ${n} bytes overruns the body (${end - q} left)`);
  return n === 0 ? '' : utf8Decoder.decode(b.subarray(q, q + n));
}

function count(n, left, size, max, what) {
  if (n > max) throw tooLarge(`${n} ${what} exceed ${max}`);
  if (left < n * size) throw truncated(`${n} ${what} of ${size} bytes overrun the body (${left} bytes left)`);
}

/**
 * Sets m.origin from the u32 at q, after a CELL_UPDATE's or FINE_CELL's
 * entries: the edge whose players these are (SPEC §2.5). 0 is no origin
 * (SPEC §2.5 never names one 0), as if absent.
 */
function withOrigin(dv, q, end, m) {
  if (end - q >= 4 && dv.getUint32(q, true) !== 0) m.origin = dv.getUint32(q, true);
  return m;
}

const DECODERS = new Array(256).fill(undefined);

DECODERS[MessageType.HELLO] = (dv, b, p, end) => {
  needBody('HELLO', end - p, 8);
  return {
    type: 'HELLO',
    version: b[p],
    kind: b[p + 1],
    hunt: dv.getUint32(p + 2, true),
    token: text(dv, b, p + 6, end, MAX_TOKEN, 'HELLO token'),
  };
};

DECODERS[MessageType.POSITION] = (dv, b, p, end) => {
  needBody('POSITION', end - p, 22);
  return {
    type: 'POSITION',
    seq: dv.getUint32(p, true),
    lat: dv.getInt32(p + 4, true),
    lng: dv.getInt32(p + 8, true),
    accuracy: dv.getUint16(p + 12, true),
    time: u64(dv, p + 14),
  };
};

DECODERS[MessageType.CLAIM] = (dv, b, p, end) => {
  needBody('CLAIM', end - p, 8);
  return { type: 'CLAIM', request: dv.getUint32(p, true), treasure: dv.getUint32(p + 4, true) };
};

DECODERS[MessageType.PING] = (dv, b, p, end) => {
  needBody('PING', end - p, 8);
  return { type: 'PING', time: u64(dv, p) };
};

DECODERS[MessageType.BYE] = (dv, b, p, end) => {
  needBody('BYE', end - p, 2);
  return { type: 'BYE', code: dv.getUint16(p, true) };
};

DECODERS[MessageType.TOKEN] = (dv, b, p, end) => {
  needBody('TOKEN', end - p, 2);
  return { type: 'TOKEN', token: text(dv, b, p, end, MAX_TOKEN, 'TOKEN token') };
};

DECODERS[MessageType.WELCOME] = (dv, b, p, end) => {
  needBody('WELCOME', end - p, 19);
  return {
    type: 'WELCOME',
    player: dv.getUint32(p, true),
    hunt: dv.getUint32(p + 4, true),
    resolution: b[p + 8],
    tickHz: b[p + 9],
    radius: b[p + 10],
    time: u64(dv, p + 11),
  };
};

DECODERS[MessageType.CELL_UPDATE] = (dv, b, p, end) => {
  needBody('CELL_UPDATE', end - p, CELL_UPDATE_FIXED);
  const n = dv.getUint16(p + 13, true);
  let q = p + CELL_UPDATE_FIXED;
  count(n, end - q, CELL_ENTRY_SIZE, MAX_CELL_ENTRIES, 'CELL_UPDATE entries');
  const entries = new Array(n);
  for (let i = 0; i < n; i++, q += CELL_ENTRY_SIZE) {
    entries[i] = {
      op: b[q],
      player: dv.getUint32(q + 1, true),
      lat: dv.getInt32(q + 5, true),
      lng: dv.getInt32(q + 9, true),
      stamp: dv.getUint32(q + 13, true),
    };
  }
  const m = {
    type: 'CELL_UPDATE',
    cell: dv.getBigUint64(p, true).toString(16),
    tick: dv.getUint32(p + 8, true),
    flags: b[p + 12],
    entries,
  };
  return withOrigin(dv, q, end, m);
};

DECODERS[MessageType.TREASURES] = (dv, b, p, end) => {
  needBody('TREASURES', end - p, 3);
  const n = dv.getUint16(p + 1, true);
  let q = p + 3;
  count(n, end - q, TREASURE_ENTRY_SIZE, MAX_TREASURE_ENTRIES, 'TREASURES entries');
  const treasures = new Array(n);
  for (let i = 0; i < n; i++, q += TREASURE_ENTRY_SIZE) {
    treasures[i] = {
      treasure: dv.getUint32(q, true),
      lat: dv.getInt32(q + 4, true),
      lng: dv.getInt32(q + 8, true),
      points: dv.getUint16(q + 12, true),
      state: b[q + 14],
    };
  }
  return { type: 'TREASURES', flags: b[p], treasures };
};

DECODERS[MessageType.HINT] = (dv, b, p, end) => {
  needBody('HINT', end - p, 3);
  return { type: 'HINT', band: b[p], bearing: dv.getUint16(p + 1, true) };
};

DECODERS[MessageType.CLAIM_RESULT] = (dv, b, p, end) => {
  needBody('CLAIM_RESULT', end - p, 17);
  return {
    type: 'CLAIM_RESULT',
    request: dv.getUint32(p, true),
    treasure: dv.getUint32(p + 4, true),
    outcome: b[p + 8],
    points: dv.getUint32(p + 9, true),
    score: dv.getUint32(p + 13, true),
  };
};

DECODERS[MessageType.EVENT] = (dv, b, p, end) => {
  needBody('EVENT', end - p, 29);
  return {
    type: 'EVENT',
    kind: b[p],
    hunt: dv.getUint32(p + 1, true),
    treasure: dv.getUint32(p + 5, true),
    player: dv.getUint32(p + 9, true),
    lat: dv.getInt32(p + 13, true),
    lng: dv.getInt32(p + 17, true),
    time: u64(dv, p + 21),
  };
};

DECODERS[MessageType.HUNT_STATUS] = (dv, b, p, end) => {
  needBody('HUNT_STATUS', end - p, 34);
  const n = b[p + 33];
  let q = p + 34;
  count(n, end - q, LEADER_ENTRY_SIZE, MAX_LEADERS, 'HUNT_STATUS leaders');
  const leaders = new Array(n);
  for (let i = 0; i < n; i++, q += LEADER_ENTRY_SIZE) {
    leaders[i] = { player: dv.getUint32(q, true), score: dv.getUint32(q + 4, true) };
  }
  return {
    type: 'HUNT_STATUS',
    hunt: dv.getUint32(p, true),
    state: b[p + 4],
    total: dv.getUint32(p + 5, true),
    remaining: dv.getUint32(p + 9, true),
    players: dv.getUint32(p + 13, true),
    starts: u64(dv, p + 17),
    ends: u64(dv, p + 25),
    leaders,
  };
};

DECODERS[MessageType.ERROR] = (dv, b, p, end) => {
  needBody('ERROR', end - p, 4);
  return { type: 'ERROR', code: dv.getUint16(p, true), text: text(dv, b, p + 2, end, MAX_TEXT, 'ERROR text') };
};

DECODERS[MessageType.REDIRECT] = (dv, b, p, end) => {
  needBody('REDIRECT', end - p, 4);
  return { type: 'REDIRECT', code: dv.getUint16(p, true), url: text(dv, b, p + 2, end, MAX_URL, 'REDIRECT url') };
};

DECODERS[MessageType.PONG] = (dv, b, p, end) => {
  needBody('PONG', end - p, 16);
  return { type: 'PONG', echo: u64(dv, p), time: u64(dv, p + 8) };
};

DECODERS[MessageType.CELL_SUMMARY] = (dv, b, p, end) => {
  needBody('CELL_SUMMARY', end - p, CELL_SUMMARY_FIXED);
  const n = b[p + 24];
  let q = p + CELL_SUMMARY_FIXED;
  count(n, end - q, SUMMARY_CHILD_SIZE, MAX_SUMMARY_CHILDREN, 'CELL_SUMMARY children');
  const children = new Array(n);
  for (let i = 0; i < n; i++, q += SUMMARY_CHILD_SIZE) {
    children[i] = {
      cell: dv.getBigUint64(q, true).toString(16),
      count: dv.getUint16(q + 8, true),
      lat: dv.getInt32(q + 10, true),
      lng: dv.getInt32(q + 14, true),
    };
  }
  return {
    type: 'CELL_SUMMARY',
    cell: dv.getBigUint64(p, true).toString(16),
    tick: dv.getUint32(p + 8, true),
    count: dv.getUint32(p + 12, true),
    lat: dv.getInt32(p + 16, true),
    lng: dv.getInt32(p + 20, true),
    children,
  };
};

DECODERS[MessageType.TICK_RATE] = (dv, b, p, end) => {
  needBody('TICK_RATE', end - p, 2);
  return { type: 'TICK_RATE', tickHz: b[p], reason: b[p + 1] };
};

DECODERS[MessageType.FINE_CELL] = (dv, b, p, end) => {
  needBody('FINE_CELL', end - p, FINE_CELL_FIXED);
  const n = dv.getUint16(p + 25, true);
  let q = p + FINE_CELL_FIXED;
  count(n, end - q, FINE_ENTRY_SIZE, MAX_CELL_ENTRIES, 'FINE_CELL entries');
  const entries = new Array(n);
  for (let i = 0; i < n; i++, q += FINE_ENTRY_SIZE) {
    entries[i] = { player: dv.getUint32(q, true), dlat: dv.getInt8(q + 4), dlng: dv.getInt8(q + 5) };
  }
  const m = {
    type: 'FINE_CELL',
    cell: dv.getBigUint64(p, true).toString(16),
    tick: dv.getUint32(p + 8, true),
    flags: b[p + 12],
    lat: dv.getInt32(p + 13, true),
    lng: dv.getInt32(p + 17, true),
    stamp: dv.getUint32(p + 21, true),
    entries,
  };
  return withOrigin(dv, q, end, m);
};

/**
 * The CELL_UPDATE a decoded FINE_CELL stands for (SPEC §2.2): the same cell,
 * tick and origin, flags plus REFINED, and each player entered at
 * lat + dlat × 10, lng + dlng × 10 with stamp 0 (the message's one stamp is
 * not an entry's). Positions wrap to 32 bits as in the Go codec's
 * FineCell.AsCellUpdate, so the result always encodes.
 */
export function fineCellAsCellUpdate(m) {
  const cu = {
    type: 'CELL_UPDATE',
    cell: m.cell,
    tick: m.tick,
    flags: m.flags | Flags.REFINED,
    entries: m.entries.map((e) => ({
      op: CellOp.entered,
      player: e.player,
      lat: (m.lat + e.dlat * FINE_UNIT) | 0,
      lng: (m.lng + e.dlng * FINE_UNIT) | 0,
      stamp: 0,
    })),
  };
  if (m.origin) cu.origin = m.origin;
  return cu;
}

/** Checks the header at b[off:off+3] and returns the body length it announces. */
function headerBodyLength(b, off) {
  const type = b[off];
  if (type === 0) throw malformed(`message type 0x00 at byte ${off}`);
  const n = b[off + 1] | (b[off + 2] << 8);
  if (n > MAX_BODY) throw tooLarge(`message of ${HEADER_SIZE + n} bytes exceeds ${MAX_MESSAGE}`);
  return n;
}

/** Decodes the whole message at b[start:end]; null for an unknown type (skipped). */
function decodeAt(dv, b, start, end) {
  const dec = DECODERS[b[start]];
  return dec === undefined ? null : dec(dv, b, start + HEADER_SIZE, end);
}

/** Checks the message at b[off:] and returns the offset where it ends. */
function messageEnd(b, off) {
  if (b.length - off < HEADER_SIZE) throw truncated(`frame ends inside a message header (${b.length - off} of 3 bytes)`);
  const n = headerBodyLength(b, off);
  if (b.length - off - HEADER_SIZE < n) {
    throw truncated(`frame ends inside a ${n}-byte body (${b.length - off - HEADER_SIZE} present)`);
  }
  return off + HEADER_SIZE + n;
}

/**
 * Splits the first message off bytes[off:] without decoding its body.
 * Returns {type, bodyStart, bodyEnd} (type is the number; unknown types are
 * returned too) or throws a ProtocolError.
 */
export function splitMessage(bytes, off = 0) {
  const b = asBytes(bytes);
  const bodyEnd = messageEnd(b, off);
  return { type: b[off], bodyStart: off + HEADER_SIZE, bodyEnd };
}

/**
 * Decodes one message body (the bytes after the header) of type number `type`.
 * Throws a ProtocolError ("malformed") for a type this version does not know.
 */
export function decodeMessage(type, body) {
  const b = asBytes(body);
  if (!Number.isInteger(type) || type < 1 || type > 0xff) throw malformed(`message type ${type} is not 1..255`);
  const dec = DECODERS[type];
  if (dec === undefined) throw malformed(`unknown message type 0x${type.toString(16).padStart(2, '0')}`);
  if (b.length > MAX_BODY) throw tooLarge(`message of ${HEADER_SIZE + b.length} bytes exceeds ${MAX_MESSAGE}`);
  return dec(viewOf(b), b, 0, b.length);
}

/**
 * Decodes every message of a frame: a WebSocket frame payload, a WebTransport
 * datagram, or any buffer that holds whole messages back to back. Messages of
 * unknown type are skipped by their length and not returned. Throws a
 * ProtocolError if any message is invalid. The frame limit (MAX_WS_FRAME,
 * MAX_DATAGRAM) is the caller's to enforce.
 */
export function decodeFrame(bytes) {
  const b = asBytes(bytes);
  const out = [];
  if (b.length === 0) return out;
  const dv = viewOf(b);
  let off = 0;
  while (off < b.length) {
    const end = messageEnd(b, off);
    const m = decodeAt(dv, b, off, end);
    if (m !== null) out.push(m);
    off = end;
  }
  return out;
}

/**
 * Reassembles messages from a byte stream (a WebTransport stream) whose chunks
 * split messages anywhere. push(chunk) returns the messages the chunk
 * completes (unknown types skipped) and keeps an incomplete one for the next
 * chunk; call end() when the stream ends. A header is checked as soon as it is
 * complete, so a message over MAX_MESSAGE fails before its body arrives. After
 * a ProtocolError the stream cannot be resynchronised: every later call throws
 * the same error.
 */
export class MessageReader {
  #buf = null; // holds one incomplete message; MAX_MESSAGE bytes, allocated on first use
  #view = null;
  #len = 0; // bytes of it held
  #size = 0; // its total size once its header is complete, else 0
  #error = null;

  /** Adds a chunk (Uint8Array, ArrayBufferView or ArrayBuffer) and returns the whole messages it completes. */
  push(chunk) {
    if (this.#error !== null) throw this.#error;
    const b = asBytes(chunk);
    const out = [];
    try {
      let off = 0;
      if (this.#len > 0) off = this.#complete(b, out);
      if (this.#len === 0 && off < b.length) this.#scan(b, off, out);
    } catch (e) {
      this.#error = e;
      throw e;
    }
    return out;
  }

  /** Declares the end of the stream: throws a "truncated" ProtocolError if it ended inside a message. */
  end() {
    if (this.#error !== null) throw this.#error;
    if (this.#len > 0) {
      this.#error = truncated(`stream ends inside a message (${this.#len} bytes held)`);
      throw this.#error;
    }
  }

  /** The number of bytes of an incomplete message held back. */
  get pending() {
    return this.#len;
  }

  // Tops up the held message from b; returns how many bytes of b it used.
  #complete(b, out) {
    let off = 0;
    if (this.#size === 0) {
      const k = Math.min(HEADER_SIZE - this.#len, b.length);
      this.#buf.set(b.subarray(0, k), this.#len);
      this.#len += k;
      off = k;
      if (this.#len < HEADER_SIZE) return off;
      this.#size = HEADER_SIZE + headerBodyLength(this.#buf, 0);
    }
    const k = Math.min(this.#size - this.#len, b.length - off);
    this.#buf.set(b.subarray(off, off + k), this.#len);
    this.#len += k;
    off += k;
    if (this.#len === this.#size) {
      const m = decodeAt(this.#view, this.#buf, 0, this.#size);
      this.#len = 0;
      this.#size = 0;
      if (m !== null) out.push(m);
    }
    return off;
  }

  // Decodes the whole messages of b[off:] in place and holds the incomplete rest.
  #scan(b, off, out) {
    const dv = b.length - off >= HEADER_SIZE ? viewOf(b) : null;
    let size = 0;
    while (b.length - off >= HEADER_SIZE) {
      size = HEADER_SIZE + headerBodyLength(b, off);
      if (b.length - off < size) break;
      const m = decodeAt(dv, b, off, off + size);
      if (m !== null) out.push(m);
      off += size;
      size = 0;
    }
    if (off < b.length) {
      if (this.#buf === null) {
        this.#buf = new Uint8Array(MAX_MESSAGE);
        this.#view = new DataView(this.#buf.buffer);
      }
      this.#buf.set(b.subarray(off), 0); // copied: the caller may reuse its chunk
      this.#len = b.length - off;
      this.#size = size;
    }
  }
}

/**
 * Yields the messages of a stream of byte chunks: a ReadableStream (a
 * WebTransport receive stream) or any (async) iterable of chunks. Throws a
 * ProtocolError for an invalid message or a stream that ends inside one.
 * Leaving the loop early cancels a ReadableStream.
 */
export async function* readMessages(source) {
  const reader = new MessageReader();
  if (typeof source?.getReader === 'function') {
    const r = source.getReader();
    let done = false;
    try {
      for (;;) {
        const next = await r.read();
        if (next.done) {
          done = true;
          break;
        }
        yield* reader.push(next.value);
      }
    } finally {
      if (!done) await r.cancel().catch(() => {});
      r.releaseLock();
    }
  } else {
    for await (const chunk of source) yield* reader.push(chunk);
  }
  reader.end();
}

// ---- encoding -------------------------------------------------------------------

// Field checks. `what` names the field in the error ("POSITION.seq"). Values
// out of range are the caller's bug (TypeError/RangeError); only SPEC §3
// limits are ProtocolErrors ("too_large").

function num(x, what) {
  if (typeof x !== 'number') throw new TypeError(`${what} must be a number, got ${x === null ? 'null' : typeof x}`);
  return x;
}

function uint(x, max, what) {
  if (!Number.isInteger(num(x, what)) || x < 0 || x > max) throw new RangeError(`${what} = ${x} is not an integer in 0..${max}`);
  return x;
}

const u8 = (x, what) => uint(x, 0xff, what);
const u16 = (x, what) => uint(x, 0xffff, what);
const u32 = (x, what) => uint(x, 0xffffffff, what);

function i8(x, what) {
  if (!Number.isInteger(num(x, what)) || x < -0x80 || x > 0x7f) throw new RangeError(`${what} = ${x} is not an integer in -128..127`);
  return x;
}

function i32(x, what) {
  if (!Number.isInteger(num(x, what)) || x < -0x80000000 || x > 0x7fffffff) {
    throw new RangeError(`${what} = ${x} is not an integer in -2^31..2^31-1`);
  }
  return x;
}

function time64(x, what) {
  if (!Number.isSafeInteger(num(x, what)) || x < 0) throw new RangeError(`${what} = ${x} is not an integer in 0..2^53-1`);
  return BigInt(x);
}

const CELL_RE = /^[0-9a-f]{1,16}$/;

function cell64(x, what) {
  if (typeof x !== 'string') throw new TypeError(`${what} must be a hexadecimal string, got ${x === null ? 'null' : typeof x}`);
  if (!CELL_RE.test(x)) throw new RangeError(`${what} = ${JSON.stringify(x)} is not 1 to 16 lower-case hexadecimal digits`);
  return BigInt('0x' + x);
}

function str(x, what) {
  if (typeof x !== 'string') throw new TypeError(`${what} must be a string, got ${x === null ? 'null' : typeof x}`);
  return x;
}

/** The body size of a bytes16 field, checking its limit. */
function textSize(x, max, what) {
  const n = utf8Length(str(x, what));
  if (n > max) throw tooLarge(`${what} of ${n} bytes exceeds ${max}`);
  return 2 + n;
}

/** Writes a bytes16 field at p; returns the offset after it. */
function putText(dv, b, p, s) {
  const { written } = utf8Encoder.encodeInto(s, b.subarray(p + 2));
  dv.setUint16(p, written, true);
  return p + 2 + written;
}

/** Writes a CELL_UPDATE's or FINE_CELL's origin at q unless it has none (0); returns the offset after it. */
function putOrigin(dv, q, origin, what) {
  if (!origin) return q;
  dv.setUint32(q, u32(origin, what), true);
  return q + 4;
}

function list(x, max, what) {
  if (!Array.isArray(x)) throw new TypeError(`${what} must be an array`);
  if (x.length > max) throw tooLarge(`${x.length} ${what} exceed ${max}`);
  return x.length;
}

// Each encoder: size(m) returns the body size (and checks the limits); write
// writes the body at p and returns the offset after it.
const ENCODERS = new Map();

ENCODERS.set('HELLO', {
  size: (m) => 6 + textSize(m.token, MAX_TOKEN, 'HELLO.token'),
  write(dv, b, p, m) {
    dv.setUint8(p, u8(m.version, 'HELLO.version'));
    dv.setUint8(p + 1, u8(m.kind, 'HELLO.kind'));
    dv.setUint32(p + 2, u32(m.hunt, 'HELLO.hunt'), true);
    return putText(dv, b, p + 6, m.token);
  },
});

ENCODERS.set('POSITION', {
  size: () => 22,
  write(dv, b, p, m) {
    dv.setUint32(p, u32(m.seq, 'POSITION.seq'), true);
    dv.setInt32(p + 4, i32(m.lat, 'POSITION.lat'), true);
    dv.setInt32(p + 8, i32(m.lng, 'POSITION.lng'), true);
    dv.setUint16(p + 12, u16(m.accuracy, 'POSITION.accuracy'), true);
    dv.setBigUint64(p + 14, time64(m.time, 'POSITION.time'), true);
    return p + 22;
  },
});

ENCODERS.set('CLAIM', {
  size: () => 8,
  write(dv, b, p, m) {
    dv.setUint32(p, u32(m.request, 'CLAIM.request'), true);
    dv.setUint32(p + 4, u32(m.treasure, 'CLAIM.treasure'), true);
    return p + 8;
  },
});

ENCODERS.set('PING', {
  size: () => 8,
  write(dv, b, p, m) {
    dv.setBigUint64(p, time64(m.time, 'PING.time'), true);
    return p + 8;
  },
});

ENCODERS.set('BYE', {
  size: () => 2,
  write(dv, b, p, m) {
    dv.setUint16(p, u16(m.code, 'BYE.code'), true);
    return p + 2;
  },
});

ENCODERS.set('TOKEN', {
  size: (m) => textSize(m.token, MAX_TOKEN, 'TOKEN.token'),
  write(dv, b, p, m) {
    return putText(dv, b, p, m.token);
  },
});

ENCODERS.set('WELCOME', {
  size: () => 19,
  write(dv, b, p, m) {
    dv.setUint32(p, u32(m.player, 'WELCOME.player'), true);
    dv.setUint32(p + 4, u32(m.hunt, 'WELCOME.hunt'), true);
    dv.setUint8(p + 8, u8(m.resolution, 'WELCOME.resolution'));
    dv.setUint8(p + 9, u8(m.tickHz, 'WELCOME.tickHz'));
    dv.setUint8(p + 10, u8(m.radius, 'WELCOME.radius'));
    dv.setBigUint64(p + 11, time64(m.time, 'WELCOME.time'), true);
    return p + 19;
  },
});

ENCODERS.set('CELL_UPDATE', {
  size: (m) => CELL_UPDATE_FIXED + CELL_ENTRY_SIZE * list(m.entries, MAX_CELL_ENTRIES, 'CELL_UPDATE.entries') + (m.origin ? 4 : 0),
  write(dv, b, p, m) {
    dv.setBigUint64(p, cell64(m.cell, 'CELL_UPDATE.cell'), true);
    dv.setUint32(p + 8, u32(m.tick, 'CELL_UPDATE.tick'), true);
    dv.setUint8(p + 12, u8(m.flags, 'CELL_UPDATE.flags'));
    dv.setUint16(p + 13, m.entries.length, true);
    let q = p + CELL_UPDATE_FIXED;
    for (const e of m.entries) {
      dv.setUint8(q, u8(e.op, 'CELL_UPDATE entry op'));
      dv.setUint32(q + 1, u32(e.player, 'CELL_UPDATE entry player'), true);
      dv.setInt32(q + 5, i32(e.lat, 'CELL_UPDATE entry lat'), true);
      dv.setInt32(q + 9, i32(e.lng, 'CELL_UPDATE entry lng'), true);
      dv.setUint32(q + 13, u32(e.stamp, 'CELL_UPDATE entry stamp'), true);
      q += CELL_ENTRY_SIZE;
    }
    return putOrigin(dv, q, m.origin, 'CELL_UPDATE.origin');
  },
});

ENCODERS.set('TREASURES', {
  size: (m) => 3 + TREASURE_ENTRY_SIZE * list(m.treasures, MAX_TREASURE_ENTRIES, 'TREASURES.treasures'),
  write(dv, b, p, m) {
    dv.setUint8(p, u8(m.flags, 'TREASURES.flags'));
    dv.setUint16(p + 1, m.treasures.length, true);
    let q = p + 3;
    for (const t of m.treasures) {
      dv.setUint32(q, u32(t.treasure, 'TREASURES entry treasure'), true);
      dv.setInt32(q + 4, i32(t.lat, 'TREASURES entry lat'), true);
      dv.setInt32(q + 8, i32(t.lng, 'TREASURES entry lng'), true);
      dv.setUint16(q + 12, u16(t.points, 'TREASURES entry points'), true);
      dv.setUint8(q + 14, u8(t.state, 'TREASURES entry state'));
      q += TREASURE_ENTRY_SIZE;
    }
    return q;
  },
});

ENCODERS.set('HINT', {
  size: () => 3,
  write(dv, b, p, m) {
    dv.setUint8(p, u8(m.band, 'HINT.band'));
    dv.setUint16(p + 1, u16(m.bearing, 'HINT.bearing'), true);
    return p + 3;
  },
});

ENCODERS.set('CLAIM_RESULT', {
  size: () => 17,
  write(dv, b, p, m) {
    dv.setUint32(p, u32(m.request, 'CLAIM_RESULT.request'), true);
    dv.setUint32(p + 4, u32(m.treasure, 'CLAIM_RESULT.treasure'), true);
    dv.setUint8(p + 8, u8(m.outcome, 'CLAIM_RESULT.outcome'));
    dv.setUint32(p + 9, u32(m.points, 'CLAIM_RESULT.points'), true);
    dv.setUint32(p + 13, u32(m.score, 'CLAIM_RESULT.score'), true);
    return p + 17;
  },
});

ENCODERS.set('EVENT', {
  size: () => 29,
  write(dv, b, p, m) {
    dv.setUint8(p, u8(m.kind, 'EVENT.kind'));
    dv.setUint32(p + 1, u32(m.hunt, 'EVENT.hunt'), true);
    dv.setUint32(p + 5, u32(m.treasure, 'EVENT.treasure'), true);
    dv.setUint32(p + 9, u32(m.player, 'EVENT.player'), true);
    dv.setInt32(p + 13, i32(m.lat, 'EVENT.lat'), true);
    dv.setInt32(p + 17, i32(m.lng, 'EVENT.lng'), true);
    dv.setBigUint64(p + 21, time64(m.time, 'EVENT.time'), true);
    return p + 29;
  },
});

ENCODERS.set('HUNT_STATUS', {
  size: (m) => 34 + LEADER_ENTRY_SIZE * list(m.leaders, MAX_LEADERS, 'HUNT_STATUS.leaders'),
  write(dv, b, p, m) {
    dv.setUint32(p, u32(m.hunt, 'HUNT_STATUS.hunt'), true);
    dv.setUint8(p + 4, u8(m.state, 'HUNT_STATUS.state'));
    dv.setUint32(p + 5, u32(m.total, 'HUNT_STATUS.total'), true);
    dv.setUint32(p + 9, u32(m.remaining, 'HUNT_STATUS.remaining'), true);
    dv.setUint32(p + 13, u32(m.players, 'HUNT_STATUS.players'), true);
    dv.setBigUint64(p + 17, time64(m.starts, 'HUNT_STATUS.starts'), true);
    dv.setBigUint64(p + 25, time64(m.ends, 'HUNT_STATUS.ends'), true);
    dv.setUint8(p + 33, m.leaders.length);
    let q = p + 34;
    for (const l of m.leaders) {
      dv.setUint32(q, u32(l.player, 'HUNT_STATUS leader player'), true);
      dv.setUint32(q + 4, u32(l.score, 'HUNT_STATUS leader score'), true);
      q += LEADER_ENTRY_SIZE;
    }
    return q;
  },
});

ENCODERS.set('ERROR', {
  size: (m) => 2 + textSize(m.text, MAX_TEXT, 'ERROR.text'),
  write(dv, b, p, m) {
    dv.setUint16(p, u16(m.code, 'ERROR.code'), true);
    return putText(dv, b, p + 2, m.text);
  },
});

ENCODERS.set('REDIRECT', {
  size: (m) => 2 + textSize(m.url, MAX_URL, 'REDIRECT.url'),
  write(dv, b, p, m) {
    dv.setUint16(p, u16(m.code, 'REDIRECT.code'), true);
    return putText(dv, b, p + 2, m.url);
  },
});

ENCODERS.set('PONG', {
  size: () => 16,
  write(dv, b, p, m) {
    dv.setBigUint64(p, time64(m.echo, 'PONG.echo'), true);
    dv.setBigUint64(p + 8, time64(m.time, 'PONG.time'), true);
    return p + 16;
  },
});

ENCODERS.set('CELL_SUMMARY', {
  size: (m) => CELL_SUMMARY_FIXED + SUMMARY_CHILD_SIZE * list(m.children, MAX_SUMMARY_CHILDREN, 'CELL_SUMMARY.children'),
  write(dv, b, p, m) {
    dv.setBigUint64(p, cell64(m.cell, 'CELL_SUMMARY.cell'), true);
    dv.setUint32(p + 8, u32(m.tick, 'CELL_SUMMARY.tick'), true);
    dv.setUint32(p + 12, u32(m.count, 'CELL_SUMMARY.count'), true);
    dv.setInt32(p + 16, i32(m.lat, 'CELL_SUMMARY.lat'), true);
    dv.setInt32(p + 20, i32(m.lng, 'CELL_SUMMARY.lng'), true);
    dv.setUint8(p + 24, m.children.length);
    let q = p + CELL_SUMMARY_FIXED;
    for (const c of m.children) {
      dv.setBigUint64(q, cell64(c.cell, 'CELL_SUMMARY child cell'), true);
      dv.setUint16(q + 8, u16(c.count, 'CELL_SUMMARY child count'), true);
      dv.setInt32(q + 10, i32(c.lat, 'CELL_SUMMARY child lat'), true);
      dv.setInt32(q + 14, i32(c.lng, 'CELL_SUMMARY child lng'), true);
      q += SUMMARY_CHILD_SIZE;
    }
    return q;
  },
});

ENCODERS.set('TICK_RATE', {
  size: () => 2,
  write(dv, b, p, m) {
    dv.setUint8(p, u8(m.tickHz, 'TICK_RATE.tickHz'));
    dv.setUint8(p + 1, u8(m.reason, 'TICK_RATE.reason'));
    return p + 2;
  },
});

ENCODERS.set('FINE_CELL', {
  size: (m) => FINE_CELL_FIXED + FINE_ENTRY_SIZE * list(m.entries, MAX_CELL_ENTRIES, 'FINE_CELL.entries') + (m.origin ? 4 : 0),
  write(dv, b, p, m) {
    dv.setBigUint64(p, cell64(m.cell, 'FINE_CELL.cell'), true);
    dv.setUint32(p + 8, u32(m.tick, 'FINE_CELL.tick'), true);
    dv.setUint8(p + 12, u8(m.flags, 'FINE_CELL.flags'));
    dv.setInt32(p + 13, i32(m.lat, 'FINE_CELL.lat'), true);
    dv.setInt32(p + 17, i32(m.lng, 'FINE_CELL.lng'), true);
    dv.setUint32(p + 21, u32(m.stamp, 'FINE_CELL.stamp'), true);
    dv.setUint16(p + 25, m.entries.length, true);
    let q = p + FINE_CELL_FIXED;
    for (const e of m.entries) {
      dv.setUint32(q, u32(e.player, 'FINE_CELL entry player'), true);
      dv.setInt8(q + 4, i8(e.dlat, 'FINE_CELL entry dlat'));
      dv.setInt8(q + 5, i8(e.dlng, 'FINE_CELL entry dlng'));
      q += FINE_ENTRY_SIZE;
    }
    return putOrigin(dv, q, m.origin, 'FINE_CELL.origin');
  },
});

function encoderOf(msg) {
  if (msg === null || typeof msg !== 'object') throw new TypeError(`a message must be an object, got ${msg === null ? 'null' : typeof msg}`);
  const enc = ENCODERS.get(msg.type);
  if (enc === undefined) throw malformed(`cannot encode unknown message type ${String(msg.type)}`);
  return enc;
}

/** The body size of msg, checking its limits. */
function bodySize(enc, msg) {
  const n = enc.size(msg);
  if (n > MAX_BODY) throw tooLarge(`${msg.type} of ${HEADER_SIZE + n} bytes exceeds ${MAX_MESSAGE}`);
  return n;
}

/** Writes msg (header and body of n bytes) at p; returns the offset after it. */
function writeMessage(dv, b, p, enc, msg, n) {
  b[p] = MessageType[msg.type];
  dv.setUint16(p + 1, n, true);
  const end = enc.write(dv, b, p + HEADER_SIZE, msg);
  if (end !== p + HEADER_SIZE + n) throw new Error(`veltrix-protocol: ${msg.type} wrote ${end - p - HEADER_SIZE} bytes, sized ${n}`);
  return end;
}

/** Encodes one message, header included, into a new Uint8Array of exactly its size. */
export function encode(msg) {
  const enc = encoderOf(msg);
  const n = bodySize(enc, msg);
  const out = new Uint8Array(HEADER_SIZE + n);
  writeMessage(new DataView(out.buffer), out, 0, enc, msg, n);
  return out;
}

/**
 * Encodes several messages back to back into one frame (a WebSocket frame or
 * datagram payload, or a run of stream bytes). Keeping the frame within
 * MAX_WS_FRAME or MAX_DATAGRAM is the caller's job.
 */
export function encodeFrame(msgs) {
  if (!Array.isArray(msgs)) throw new TypeError('encodeFrame takes an array of messages');
  const sizes = new Array(msgs.length);
  let total = 0;
  for (let i = 0; i < msgs.length; i++) {
    sizes[i] = bodySize(encoderOf(msgs[i]), msgs[i]);
    total += HEADER_SIZE + sizes[i];
  }
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  let p = 0;
  for (let i = 0; i < msgs.length; i++) p = writeMessage(dv, out, p, ENCODERS.get(msgs[i].type), msgs[i], sizes[i]);
  return out;
}

/**
 * The players a client sees, merged from the CELL_UPDATEs of one or more
 * origins (the edges of a region) as SPEC §2.2 and §2.5 say, and from the
 * FINE_CELLs of a crowd's fine cells, each read as the REFINED snapshot it
 * stands for (fineCellAsCellUpdate). `players` maps a player id to
 * { lat, lng (degrees × 10⁷), cell, origin, seen (ms) }.
 */
export class Neighbours {
  constructor() {
    this.players = new Map();
  }

  /** Applies one decoded CELL_UPDATE or FINE_CELL received at now (ms); entries of player `self` are skipped. */
  apply(m, now, self) {
    if (m.type === 'FINE_CELL') m = fineCellAsCellUpdate(m);
    const origin = m.origin ?? 0;
    const snapshot = (m.flags & Flags.SNAPSHOT) !== 0;
    const originSnapshot = (m.flags & Flags.ORIGIN_SNAPSHOT) !== 0 && (m.flags & Flags.CONTINUED) === 0;
    if (snapshot || originSnapshot) {
      for (const [id, p] of this.players) {
        if (p.cell === m.cell && (snapshot || p.origin === origin)) this.players.delete(id);
      }
    }
    for (const e of m.entries) {
      if (e.player === self) continue;
      if (e.op === CellOp.left) {
        if (this.players.get(e.player)?.origin === origin) this.players.delete(e.player);
      } else if (e.op === CellOp.entered || e.op === CellOp.moved) { // other ops are skipped (SPEC §2.2)
        this.players.set(e.player, { lat: e.lat, lng: e.lng, cell: m.cell, origin, seen: now });
      }
    }
  }

  /** Forgets the players not heard of for `after` ms (SPEC §2.2: 10 s). */
  forget(now, after = 10000) {
    for (const [id, p] of this.players) if (now - p.seen > after) this.players.delete(id);
  }
}
