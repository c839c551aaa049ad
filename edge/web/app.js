// The Veltrix demo page: asks the edge that serves it where the hunt is
// played (GET /v1/route), connects there (WebTransport when the browser has
// it and the edge offers it, WebSocket otherwise), follows REDIRECTs, walks
// a player around and draws what the edge sends.
import * as P from './protocol.js';
import { MapView, bands } from './map.js';
import { setConnection } from './status.js';
import { bindControls } from './controls.js';
import { HeatMap } from './heatmap.js';

const $ = (id) => document.getElementById(id);
const q = new URLSearchParams(location.search);
// REDIRECTs followed in a row without a WELCOME before the page gives up
// (SPEC §2.2): a loop between misconfigured edges ends.
const MAX_REDIRECTS = 4;
const outcomes = ['', 'won', 'already claimed', 'too far', 'hunt not active', 'unknown treasure', 'rate limited', 'unavailable', 'request id reused'];

const st = {
  // CLAIM request ids must stay unique for the player across reconnects and
  // reloads (SPEC §2.1): start at a random point of the u32 range.
  me: null, player: 0, hunt: 0, seq: 0, request: crypto.getRandomValues(new Uint32Array(1))[0],
  neighbours: new P.Neighbours(), treasures: new Map(), cells: [], cellKey: '', link: null,
  heat: new HeatMap(), // crowded cells' CELL_SUMMARYs, drawn by map.js as a heat map
  redirect: null, redirects: 0, // the REDIRECT url of the current connection; how many in a row
  target: null, // where to connect: a /v1/route answer {ws, wt}, a REDIRECT's {url}, or null (this edge)
  ring: [], ringAt: 0, // the last route answer's entry points, to fail over to (failover), and which is tried
  trail: [], hint: null, area: null, lastError: 0, // drawn by map.js; lastError: the code of the last ERROR
};
const TRAIL = 200; // positions of the player's own trail

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
  // url: where to connect (a route's or a REDIRECT's); null: this edge.
  async open(onMessages, url) {
    this.url = url ?? (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
    this.ws = new WebSocket(this.url);
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
  // url: where to connect; null: this edge. The development certificate
  // is pinned only for this edge (another edge needs a real certificate).
  async open(onMessages, url) {
    const r = await fetch('/v1/wt');
    const info = r.ok ? await r.json() : {};
    if (!url && !info.url) throw new Error('WebTransport is disabled on this edge');
    this.url = url ?? info.url;
    const opts = {};
    if (info.cert_sha256 && this.url === info.url) {
      opts.serverCertificateHashes = [{ algorithm: 'sha-256', value: Uint8Array.from(atob(info.cert_sha256), (c) => c.charCodeAt(0)) }];
    }
    this.wt = new WebTransport(this.url, opts);
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

// connect opens a link to target: {ws, wt} from /v1/route (null: this
// edge), or {url} from a REDIRECT (https:// is WebTransport).
async function connect(onMessages, target) {
  if (target?.url) {
    const l = target.url.startsWith('https://') ? new WTLink() : new WSLink();
    await l.open(onMessages, target.url);
    return l;
  }
  const want = q.get('transport');
  const wtPossible = typeof WebTransport !== 'undefined' && want !== 'ws' && (!target || target.wt);
  if (wtPossible) {
    try {
      const l = new WTLink();
      await l.open(onMessages, target?.wt ?? null);
      return l;
    } catch (e) {
      if (want === 'wt') throw e;
      console.warn('WebTransport failed, falling back to WebSocket', e);
    }
  }
  const l = new WSLink();
  await l.open(onMessages, target?.ws ?? null);
  return l;
}

// route asks an edge (base; '' for this one) where the hunt is played near
// the player (GET /v1/route): null (connect here) with ?route=0 or from an
// edge without it. An answer also names the entry points to fail over to.
async function route(s, base = '') {
  if (q.get('route') === '0') return null;
  const r = await fetch(`${base}/v1/route?hunt=${s.hunt}&lat=${s.center[0]}&lng=${s.center[1]}`, { signal: AbortSignal.timeout(5000) });
  const answer = r.ok ? await r.json() : null;
  if (answer) { st.ring = [{ ws: answer.ws, wt: answer.wt }, ...(answer.alternates ?? [])]; st.ringAt = 0; }
  return answer;
}

// failover, after the edge could not be reached, moves the target to the
// next entry point of the last route answer (its own URLs, then its
// alternates: the region's other live edges or its load balancer), round
// robin, asking that edge's route first (the region's live edges now). It
// says whether there was another to try.
async function failover(s) {
  if (st.ring.length < 2) return false;
  st.ringAt = (st.ringAt + 1) % st.ring.length;
  const next = st.ring[st.ringAt];
  const base = next.ws.replace(/^ws(s?):\/\/([^/]*).*$/, 'http$1://$2');
  st.target = await route(s, base).catch(() => null) ?? next; // an answer starts a new round from that edge
  return true;
}


// ---- game ----------------------------------------------------------------------

function handle(msgs) {
  for (const m of msgs) {
    switch (m.type) {
      case 'WELCOME':
        st.player = m.player; st.redirects = 0; setConnection('connected'); $('rate').textContent = `${m.tickHz} Hz`;
        sendPosition();
        break;
      case 'REDIRECT': st.redirect = m.url; break; // followed once the edge closes (rejoin)
      case 'CELL_UPDATE':
        // Merged per origin: players of other edges of the region arrive
        // forwarded by this one (SPEC.md §2.5).
        st.neighbours.apply(m, performance.now(), st.player);
        if (m.flags & P.Flags.SNAPSHOT) st.heat.forget(m.cell); // a snapshot: the cell is no longer crowded
        break;
      case 'FINE_CELL': // a crowd's fine cell near the player, 8 bytes a player: the REFINED snapshot it stands for
        handle([P.fineCellAsCellUpdate(m)]);
        break;
      case 'TREASURES':
        if (m.flags & P.Flags.SNAPSHOT) st.treasures.clear();
        for (const t of m.treasures) { // claimed ones stay on the map, greyed (map.js)
          st.treasures.set(t.treasure, { lat: t.lat / 1e7, lng: t.lng / 1e7, points: t.points, state: treasureStates[t.state] ?? 'hidden' });
        }
        break;
      case 'HINT': showHint(m); break;
      case 'CLAIM_RESULT':
        $('result').textContent = `#${m.treasure}: ${outcomes[m.outcome] ?? m.outcome}` + (m.points ? ` (+${m.points}, score ${m.score})` : '');
        break;
      case 'EVENT': if (m.kind === P.EventKind.treasure_claimed && st.treasures.has(m.treasure)) st.treasures.get(m.treasure).state = 'claimed'; break;
      case 'HUNT_STATUS':
        showStatus({ state: huntStates[m.state] ?? m.state, remaining: m.remaining, total: m.total, players: m.players, leaders: m.leaders });
        break;
      case 'ERROR':
        st.lastError = m.code;
        $('error').textContent = `edge: ${m.text}`;
        // An edge a REDIRECT named may not know the hunt yet (it has just
        // moved there): try it again, within the redirect bound (SPEC §2.2).
        if (m.code === P.Code.wrong_hunt && !st.player && st.redirects > 0) st.redirect = st.link.url;
        break;
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

const treasureStates = Object.fromEntries(Object.entries(P.TreasureState).map(([k, v]) => [v, k]));

// showHint shows the HINT in the panel (band, bearing and a turned arrow);
// map.js draws it as an arrow from the player.
function showHint(m) {
  st.hint = { band: m.band, bearing: m.bearing };
  $('hint').textContent = m.band ? `${bands[m.band] ?? m.band} · ${(m.bearing / 100).toFixed(0)}°` : bands[0];
  $('hintarrow').style.transform = `rotate(${m.bearing / 100}deg)`;
  $('hintarrow').style.visibility = m.band ? 'visible' : 'hidden';
}

function step(dNorth, dEast) {
  st.me.lat += dNorth / 111320;
  st.me.lng += dEast / (111320 * Math.cos(st.me.lat * Math.PI / 180));
  st.trail.push({ lat: st.me.lat, lng: st.me.lng });
  if (st.trail.length > TRAIL) st.trail.splice(0, st.trail.length - TRAIL);
  sendPosition();
  refreshCells();
}

function nearestTreasure() {
  let best = null, bestD = Infinity;
  for (const [id, t] of st.treasures) {
    if (t.state !== 'available') continue;
    const d = Math.hypot(t.lat - st.me.lat, (t.lng - st.me.lng) * Math.cos(st.me.lat * Math.PI / 180));
    if (d < bestD) { best = id; bestD = d; }
  }
  return best;
}

function claim() {
  if (!st.player) { $('result').textContent = 'not connected: claim again once connected'; return; } // a dropped link would lose it
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

// ---- drawing (map.js) ------------------------------------------------------------

const view = new MapView($('map'), $('panel'));

function draw() {
  st.neighbours.forget(performance.now());
  view.draw(st);
  $('players').textContent = st.neighbours.players.size;
  $('treasures').textContent = [...st.treasures.values()].filter((t) => t.state === 'available').length;
  $('crowd').textContent = st.heat.crowd();
  requestAnimationFrame(draw);
}

// fetchArea gets the hunt's area for its outline on the map.
async function fetchArea() {
  const r = await fetch(`/v1/hunts/${st.hunt}/area`);
  if (r.ok) st.area = await r.json();
}

// ---- start ----------------------------------------------------------------------

// Close codes after which the page does not reconnect on its own (SPEC §4):
// another connection of the player took over, or the edge refused the
// version, token or hunt (token_expired is retried with a fresh dev token).
const FINAL = new Set([2, 3, 5, 17]);
const TOKEN_EXPIRED = 4, REDIRECT = 14;

// join connects and says HELLO; when the link closes, rejoin decides
// whether and when to try again.
async function join(s, attempt) {
  st.player = 0; st.lastError = 0; st.redirect = null;
  setConnection(attempt ? 'reconnecting' : 'connecting', attempt ? `attempt ${attempt + 1}` : '');
  try {
    st.link = await connect(handle, st.target);
  } catch (e) {
    const other = await failover(s);
    rejoin(s, attempt, other ? `${e.message}; trying another edge of the region` : e.message);
    return;
  }
  $('transport').textContent = st.link.name;
  $('edge').textContent = st.link.url;
  st.link.send(P.encode({ type: 'HELLO', version: P.VERSION, kind: P.Kind.browser, hunt: s.hunt, token: s.token }));
  st.link.closed.then((why) => rejoin(s, st.player ? 0 : attempt, why));
}

// rejoin follows a REDIRECT at once (at most MAX_REDIRECTS in a row without
// a WELCOME; a retry of the same edge backs off), else retries after a
// backoff (1 s doubling to 15 s, jittered), except after a final close; the
// banner says which.
async function rejoin(s, attempt, why) {
  const code = st.lastError, to = st.redirect;
  st.player = 0; st.redirect = null;
  st.neighbours = new P.Neighbours(); st.heat = new HeatMap(); // the next edge sends its own view
  if (to) {
    if (st.redirects >= MAX_REDIRECTS) {
      setConnection('failed', `redirect loop: more than ${MAX_REDIRECTS} redirects without a WELCOME; the last to ${to}`);
      return;
    }
    const wait = to === st.link.url ? 100 << st.redirects : 0;
    st.redirects++;
    st.target = { url: to };
    setConnection('redirected', to);
    setTimeout(() => join(s, 0), wait);
    return;
  }
  if (FINAL.has(code) || (code === TOKEN_EXPIRED && q.get('token'))) {
    setConnection('failed', why);
    return;
  }
  if (code === TOKEN_EXPIRED) {
    const r = await fetch(`/dev/session?player=${s.player}`).catch(() => null);
    if (r?.ok) s.token = (await r.json()).token;
  }
  const wait = Math.min(15000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
  setConnection(code === REDIRECT ? 'redirected' : 'reconnecting', `${why}; retrying in ${Math.ceil(wait / 1000)} s`);
  setTimeout(async () => {
    st.target = await route(s).catch(() => st.target); // the hunt may have moved
    join(s, attempt + 1);
  }, wait);
}

async function main() {
  const s = await session();
  st.hunt = s.hunt;
  // Start where the URL says (?lat=&lng=), else somewhere near the centre.
  const jitter = q.get('lat') ? 0 : 0.002;
  st.me = { lat: s.center[0] + (Math.random() - 0.5) * jitter, lng: s.center[1] + (Math.random() - 0.5) * jitter };
  st.trail.push({ ...st.me });
  requestAnimationFrame(draw);
  st.target = await route(s);
  await join(s, 0);
  scheduleRefresh(s);
  sendPosition();
  refreshCells();
  fetchArea();
  setInterval(sendPosition, 1000); // a POSITION a second also keeps the session from going idle (SPEC §2.3)
  fetchStatus(); // the name, and the status until the edge pushes HUNT_STATUS
}

bindControls({ canvas: $('map'), view, walk: step, claim, ready: () => st.me != null });
$('claim').addEventListener('click', claim);
main().catch((e) => { setConnection('failed'); $('error').textContent = e.message; });
