// The Veltrix demo page: connects to the edge that serves it (WebTransport
// when the browser has it and the edge offers it, WebSocket otherwise),
// walks a player around and draws what the edge sends.
import * as P from './protocol.js';
import { HeatMap } from './heatmap.js';

const $ = (id) => document.getElementById(id);
const q = new URLSearchParams(location.search);
const bands = ['no treasure', 'burning', 'hot', 'warm', 'cool', 'cold', 'freezing'];
const outcomes = ['', 'won', 'already claimed', 'too far', 'hunt not active', 'unknown treasure', 'rate limited', 'unavailable', 'request id reused'];

const st = {
  // CLAIM request ids must stay unique for the player across reconnects and
  // reloads (SPEC §2.1): start at a random point of the u32 range.
  me: null, player: 0, hunt: 0, seq: 0, request: crypto.getRandomValues(new Uint32Array(1))[0],
  players: new Map(), treasures: new Map(), cells: [], cellKey: '', link: null, heat: new HeatMap(),
};

async function session() {
  if (q.get('token')) {
    return { token: q.get('token'), hunt: +q.get('hunt'), player: +q.get('player') || 0,
      center: [+(q.get('lat') || 52.3730796), +(q.get('lng') || 4.8924534)] };
  }
  const r = await fetch('/dev/session' + (q.get('player') ? `?player=${q.get('player')}` : ''));
  if (!r.ok) throw new Error('no token: open this page with ?token=…&hunt=… or run the edge with -dev');
  return r.json();
}

// ---- token refresh (SPEC §2.3) ---------------------------------------------------

// The issue and expiry times (ms) of a JWT, read without verifying it.
function tokenTimes(tok) {
  try {
    const claims = JSON.parse(atob(tok.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return { iat: (claims.iat ?? claims.nbf ?? claims.exp) * 1000, exp: claims.exp * 1000 };
  } catch {
    return null;
  }
}

// Before the token expires — once two thirds of its lifetime have passed, at
// the latest a minute before — the page asks /dev/session for a fresh one
// (minted by the coordinator's token endpoint) and presents it with TOKEN.
// A token given in the URL has nowhere to be refreshed from. After a refresh
// the next one waits at least `floor` ms, however short-lived the tokens are.
function scheduleRefresh(s, floor = 0) {
  const t = tokenTimes(s.token);
  if (!t || q.get('token')) return;
  const at = Math.min(t.iat + (t.exp - t.iat) * 2 / 3, t.exp - 60_000);
  setTimeout(async () => {
    try {
      const r = await fetch(`/dev/session?player=${s.player}`);
      if (!r.ok) throw new Error(`token refresh failed: ${r.status}`);
      s.token = (await r.json()).token;
      st.link.send(P.encode({ type: 'TOKEN', token: s.token }));
      scheduleRefresh(s, 5000);
    } catch (e) {
      $('error').textContent = e.message;
      setTimeout(() => scheduleRefresh(s), 5000);
    }
  }, Math.max(at - Date.now(), floor));
}

// ---- transports -------------------------------------------------------------

class WSLink {
  name = 'websocket';
  async open(onMessages) {
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
    this.ws = new WebSocket(url);
    this.ws.binaryType = 'arraybuffer';
    await new Promise((ok, fail) => { this.ws.onopen = ok; this.ws.onerror = () => fail(new Error('WebSocket failed')); });
    this.ws.onmessage = (e) => onMessages(P.decodeFrame(new Uint8Array(e.data)));
    this.closed = new Promise((ok) => { this.ws.onclose = (e) => ok(`closed ${e.code} ${e.reason}`); });
  }
  send(bytes) { this.ws.send(bytes); }
  sendLossy(bytes) { this.ws.send(bytes); }
}

class WTLink {
  name = 'webtransport';
  async open(onMessages) {
    const info = await (await fetch('/v1/wt')).json();
    const opts = {};
    if (info.cert_sha256) {
      opts.serverCertificateHashes = [{ algorithm: 'sha-256', value: Uint8Array.from(atob(info.cert_sha256), (c) => c.charCodeAt(0)) }];
    }
    this.wt = new WebTransport(info.url, opts);
    await this.wt.ready;
    const stream = await this.wt.createBidirectionalStream();
    this.writer = stream.writable.getWriter();
    this.datagrams = this.wt.datagrams.writable.getWriter();
    this.closed = this.wt.closed.then(() => 'closed', (e) => `closed: ${e.message}`);
    (async () => {
      const reader = new P.MessageReader();
      for await (const chunk of stream.readable) onMessages(reader.push(chunk));
    })().catch(() => {});
    (async () => {
      for await (const d of this.wt.datagrams.readable) onMessages(P.decodeFrame(d));
    })().catch(() => {});
  }
  send(bytes) { this.writer.write(bytes); }
  sendLossy(bytes) { this.datagrams.write(bytes); }
}

async function connect(onMessages) {
  const want = q.get('transport');
  const wtPossible = typeof WebTransport !== 'undefined' && want !== 'ws';
  if (wtPossible) {
    try {
      const l = new WTLink();
      await l.open(onMessages);
      return l;
    } catch (e) {
      if (want === 'wt') throw e;
      console.warn('WebTransport failed, falling back to WebSocket', e);
    }
  }
  const l = new WSLink();
  await l.open(onMessages);
  return l;
}

// ---- game ----------------------------------------------------------------------

function handle(msgs) {
  for (const m of msgs) {
    switch (m.type) {
      case 'WELCOME': st.player = m.player; $('state').textContent = 'connected'; $('rate').textContent = `${m.tickHz} Hz`; sendPosition(); break;
      case 'CELL_UPDATE':
        if (m.flags & P.Flags.SNAPSHOT) {
          for (const [id, p] of st.players) if (p.cell === m.cell) st.players.delete(id);
          st.heat.forget(m.cell); // a snapshot: the cell is no longer crowded
        }
        for (const e of m.entries) {
          if (e.player === st.player) continue;
          if (e.op === P.CellOp.left) st.players.delete(e.player);
          else if (e.op === P.CellOp.entered || e.op === P.CellOp.moved) // other ops are skipped (SPEC.md §2.2)
            st.players.set(e.player, { lat: e.lat / 1e7, lng: e.lng / 1e7, cell: m.cell, seen: performance.now() });
        }
        break;
      case 'TREASURES':
        if (m.flags & P.Flags.SNAPSHOT) st.treasures.clear();
        for (const t of m.treasures) {
          if (t.state === P.TreasureState.available) st.treasures.set(t.treasure, { lat: t.lat / 1e7, lng: t.lng / 1e7, points: t.points });
          else st.treasures.delete(t.treasure);
        }
        break;
      case 'HINT': $('hint').textContent = `${bands[m.band] ?? m.band} · ${(m.bearing / 100).toFixed(0)}°`; break;
      case 'CLAIM_RESULT':
        $('result').textContent = `#${m.treasure}: ${outcomes[m.outcome] ?? m.outcome}` + (m.points ? ` (+${m.points}, score ${m.score})` : '');
        break;
      case 'EVENT': if (m.kind === P.EventKind.treasure_claimed) st.treasures.delete(m.treasure); break;
      case 'HUNT_STATUS':
        showStatus({ state: huntStates[m.state] ?? m.state, remaining: m.remaining, total: m.total, players: m.players, leaders: m.leaders });
        break;
      case 'ERROR': $('error').textContent = `edge: ${m.text}`; break;
      case 'CELL_SUMMARY': st.heat.update(m, performance.now()); break;
      case 'TICK_RATE': $('rate').textContent = `${m.tickHz} Hz` + (m.reason === 1 ? ' (edge overloaded)' : ''); break;
    }
  }
}

function sendPosition() {
  if (!st.link || !st.me || !st.player) return; // after WELCOME: a datagram must not overtake HELLO
  st.link.sendLossy(P.encode({ type: 'POSITION', seq: ++st.seq, lat: Math.round(st.me.lat * 1e7), lng: Math.round(st.me.lng * 1e7),
    accuracy: 30, time: Math.floor((performance.timeOrigin + performance.now()) * 1000) }));
  $('me').textContent = `#${st.player} ${st.me.lat.toFixed(6)}, ${st.me.lng.toFixed(6)}`;
}

function step(dNorth, dEast) {
  st.me.lat += dNorth / 111320;
  st.me.lng += dEast / (111320 * Math.cos(st.me.lat * Math.PI / 180));
  sendPosition();
  refreshCells();
}

function nearestTreasure() {
  let best = null, bestD = Infinity;
  for (const [id, t] of st.treasures) {
    const d = Math.hypot(t.lat - st.me.lat, (t.lng - st.me.lng) * Math.cos(st.me.lat * Math.PI / 180));
    if (d < bestD) { best = id; bestD = d; }
  }
  return best;
}

function claim() {
  const id = nearestTreasure();
  if (id == null) { $('result').textContent = 'no treasure in sight'; return; }
  st.link.send(P.encode({ type: 'CLAIM', request: (st.request = (st.request + 1) >>> 0 || 1), treasure: id }));
}

async function refreshCells() {
  const key = `${st.me.lat.toFixed(4)},${st.me.lng.toFixed(4)}`;
  if (key === st.cellKey) return;
  st.cellKey = key;
  const r = await fetch(`/v1/geo/area?lat=${st.me.lat}&lng=${st.me.lng}&hunt=${st.hunt}`);
  if (r.ok) st.cells = await r.json();
}

const huntStates = Object.fromEntries(Object.entries(P.HuntState).map(([k, v]) => [v, k]));

// showStatus draws the hunt line and the leaderboard, from the HTTP status
// (the hunt's name; once at start) or a pushed HUNT_STATUS (every change).
function showStatus(s) {
  if (s.name) st.huntName = s.name;
  $('hunt').textContent = `${st.huntName ?? `hunt ${st.hunt}`}: ${s.state}, ${s.remaining}/${s.total} left, ${s.players} online`;
  $('leaderboard').replaceChildren(...s.leaders.map((l) => {
    const li = document.createElement('li');
    li.textContent = `#${l.player} — ${l.score}`;
    return li;
  }));
}

async function fetchStatus() {
  const r = await fetch(`/v1/hunts/${st.hunt}/status`);
  if (!r.ok) return;
  const s = await r.json();
  showStatus({ name: s.name, state: s.state, remaining: s.treasures_remaining, total: s.treasures_total,
    players: s.players_online, leaders: s.leaderboard ?? [] });
}

// ---- drawing -------------------------------------------------------------------

const canvas = $('map');
const ctx = canvas.getContext('2d');
const metresPerPixel = () => 0.8;

function project(lat, lng) {
  const k = 111320 / metresPerPixel();
  return [canvas.width / 2 + (lng - st.me.lng) * k * Math.cos(st.me.lat * Math.PI / 180), canvas.height / 2 - (lat - st.me.lat) * k];
}

function dot(lat, lng, r, color) {
  const [x, y] = project(lat, lng);
  ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.fillStyle = color; ctx.fill();
}

function draw() {
  canvas.width = canvas.clientWidth; canvas.height = canvas.clientHeight;
  ctx.fillStyle = '#10151c'; ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (st.me) {
    ctx.strokeStyle = '#2b3a4c';
    for (const c of st.cells) {
      ctx.beginPath();
      c.boundary.forEach(([lat, lng], i) => { const [x, y] = project(lat, lng); i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
      ctx.closePath(); ctx.stroke();
    }
    st.heat.draw(ctx, project, performance.now());
    canvas.dataset.heat = st.heat.drawn;
    for (const t of st.treasures.values()) dot(t.lat, t.lng, 7, '#e0a526');
    for (const p of st.players.values()) if (!st.heat.covers(p.cell)) dot(p.lat, p.lng, 5, '#5aa9e6');
    dot(st.me.lat, st.me.lng, 8, '#7bd88f');
  }
  $('players').textContent = st.players.size;
  $('treasures').textContent = st.treasures.size;
  $('crowd').textContent = st.heat.crowd();
  requestAnimationFrame(draw);
}

// ---- start ----------------------------------------------------------------------

async function main() {
  const s = await session();
  st.hunt = s.hunt;
  // Start where the URL says (?lat=&lng=), else somewhere near the centre.
  const jitter = q.get('lat') ? 0 : 0.002;
  st.me = { lat: s.center[0] + (Math.random() - 0.5) * jitter, lng: s.center[1] + (Math.random() - 0.5) * jitter };
  st.link = await connect(handle);
  $('transport').textContent = st.link.name;
  st.link.send(P.encode({ type: 'HELLO', version: P.VERSION, kind: P.Kind.browser, hunt: s.hunt, token: s.token }));
  st.link.closed.then((why) => { $('state').textContent = why; });
  scheduleRefresh(s);
  sendPosition();
  refreshCells();
  setInterval(sendPosition, 1000); // a POSITION a second also keeps the session from going idle (SPEC §2.3)
  fetchStatus(); // the name, and the status until the edge pushes HUNT_STATUS
  requestAnimationFrame(draw);
}

document.addEventListener('keydown', (e) => {
  if (!st.me) return;
  const d = e.shiftKey ? 25 : 5;
  const moves = { ArrowUp: [d, 0], ArrowDown: [-d, 0], ArrowLeft: [0, -d], ArrowRight: [0, d] };
  if (moves[e.key]) { e.preventDefault(); step(...moves[e.key]); }
  if (e.key === 'c') claim();
});
let drag = null;
canvas.addEventListener('pointerdown', (e) => { drag = [e.clientX, e.clientY]; });
canvas.addEventListener('pointerup', () => { drag = null; });
canvas.addEventListener('pointermove', (e) => {
  if (!drag || !st.me) return;
  const m = metresPerPixel();
  step((e.clientY - drag[1]) * m, -(e.clientX - drag[0]) * m);
  drag = [e.clientX, e.clientY];
});
$('claim').addEventListener('click', claim);
main().catch((e) => { $('state').textContent = 'failed'; $('error').textContent = e.message; });
