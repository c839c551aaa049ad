// The demo page's map: draws the player's surroundings on a canvas, centred
// on the player, at a fixed scale. Nothing here talks to the edge; app.js
// keeps the state (st) and this module only reads it.
//
// The canvas's backing store follows its CSS size (times devicePixelRatio)
// through a ResizeObserver, never by reading clientWidth while drawing: a
// canvas whose intrinsic size feeds its own layout size grows without end.

// Metres per CSS pixel.
export const METRES_PER_PIXEL = 0.8;

// HINT bands (SPEC §2.2): name and colour.
export const bands = ['no treasure', 'burning', 'hot', 'warm', 'cool', 'cold', 'freezing'];
const bandColours = ['#8b98a8', '#ff3b30', '#ff8a1f', '#ffd23f', '#7fd1ff', '#4f8dff', '#e8f1ff'];

export const colours = {
  background: '#10151c', cell: '#2b3a4c', area: '#5b86b8', treasure: '#e0a526', claimed: '#6b7480',
  player: '#5aa9e6', me: '#7bd88f', trail: '#7bd88f66', text: '#dde3ea',
};

const radians = (deg) => deg * Math.PI / 180;

export class MapView {
  constructor(canvas, covering) {
    this.canvas = canvas;
    this.covering = covering; // an element that may lie over the bottom of the map (the phone's bottom sheet)
    this.ctx = canvas.getContext('2d');
    this.w = 1; this.h = 1; this.dpr = 1; this.cx = 0; this.cy = 0;
    new ResizeObserver(() => this.resize()).observe(canvas);
    if (covering) new ResizeObserver(() => this.resize()).observe(covering);
    this.resize();
  }

  // resize sizes the backing store to the canvas's CSS box and puts the
  // centre (the player) in the middle of the part of the map not covered.
  resize() {
    const r = this.canvas.getBoundingClientRect();
    this.dpr = window.devicePixelRatio || 1;
    this.w = Math.max(1, Math.round(r.width)); this.h = Math.max(1, Math.round(r.height));
    const bw = Math.round(this.w * this.dpr), bh = Math.round(this.h * this.dpr);
    if (this.canvas.width !== bw) this.canvas.width = bw;
    if (this.canvas.height !== bh) this.canvas.height = bh;
    let visible = this.h;
    if (this.covering) {
      const c = this.covering.getBoundingClientRect();
      if (c.top > r.top && c.top < r.bottom && c.left <= r.left + 1 && c.right >= r.right - 1) visible = c.top - r.top;
    }
    this.cx = this.w / 2; this.cy = visible / 2;
  }

  get metresPerPixel() { return METRES_PER_PIXEL; }

  // project maps a position to CSS pixels on the canvas, the player at the centre.
  project(me, lat, lng) {
    const k = 111320 / METRES_PER_PIXEL;
    return [this.cx + (lng - me.lng) * k * Math.cos(radians(me.lat)), this.cy - (lat - me.lat) * k];
  }

  // offset is the [north, east] metres from the player to a canvas point.
  offset(x, y) { return [(this.cy - y) * METRES_PER_PIXEL, (x - this.cx) * METRES_PER_PIXEL]; }

  draw(st) {
    const { ctx } = this;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.fillStyle = colours.background; ctx.fillRect(0, 0, this.w, this.h);
    if (!st.me) return;
    this.area(st.me, st.area);
    ctx.lineWidth = 1; ctx.strokeStyle = colours.cell;
    for (const c of st.cells) { this.path(st.me, c.boundary.map(([lat, lng]) => ({ lat, lng }))); ctx.stroke(); }
    // Crowded cells (CELL_SUMMARY) are drawn as heat, without their dots.
    st.heat.draw(ctx, (lat, lng) => this.project(st.me, lat, lng), performance.now());
    this.canvas.dataset.heat = st.heat.drawn;
    this.trail(st.me, st.trail);
    this.hint(st.hint);
    for (const t of st.treasures.values()) this.treasure(st.me, t);
    for (const p of st.neighbours.players.values()) {
      if (!st.heat.covers(p.cell)) this.dot(st.me, { lat: p.lat / 1e7, lng: p.lng / 1e7 }, 5, colours.player);
    }
    this.dot(st.me, st.me, 8, colours.me, '#ffffff');
    this.scaleBar();
  }

  path(me, pts) {
    const { ctx } = this;
    ctx.beginPath();
    pts.forEach((p, i) => { const [x, y] = this.project(me, p.lat, p.lng); i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
    ctx.closePath();
  }

  // area outlines the hunt's polygon (holes too) and tints its inside.
  area(me, a) {
    if (!a) return;
    const { ctx } = this;
    ctx.save();
    ctx.beginPath();
    for (const ring of [a.outer, ...(a.holes ?? [])]) {
      ring.forEach((p, i) => { const [x, y] = this.project(me, p.lat, p.lng); i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
      ctx.closePath();
    }
    ctx.fillStyle = '#5b86b814'; ctx.fill('evenodd');
    ctx.setLineDash([8, 6]); ctx.lineWidth = 2; ctx.strokeStyle = colours.area; ctx.stroke();
    ctx.restore();
  }

  trail(me, pts) {
    if (pts.length < 2) return;
    const { ctx } = this;
    ctx.beginPath();
    pts.forEach((p, i) => { const [x, y] = this.project(me, p.lat, p.lng); i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
    ctx.lineWidth = 3; ctx.lineJoin = 'round'; ctx.strokeStyle = colours.trail; ctx.stroke();
  }

  // hint draws an arrow from the player along the HINT's bearing, coloured
  // and labelled by its band.
  hint(h) {
    if (!h || !h.band) return;
    const { ctx } = this;
    const a = radians(h.bearing / 100), len = 70;
    const dx = Math.sin(a), dy = -Math.cos(a);
    const [x0, y0] = [this.cx + dx * 12, this.cy + dy * 12], [x1, y1] = [this.cx + dx * len, this.cy + dy * len];
    const colour = bandColours[h.band] ?? colours.text;
    ctx.save();
    ctx.strokeStyle = colour; ctx.fillStyle = colour; ctx.lineWidth = 4; ctx.lineCap = 'round';
    ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(x1 + dx * 8, y1 + dy * 8);
    ctx.lineTo(x1 - dy * 8, y1 + dx * 8);
    ctx.lineTo(x1 + dy * 8, y1 - dx * 8);
    ctx.closePath(); ctx.fill();
    ctx.font = '600 13px system-ui, sans-serif'; ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
    ctx.lineWidth = 3; ctx.strokeStyle = colours.background;
    const [lx, ly] = [x1 + dx * 26, y1 + dy * 26];
    ctx.strokeText(bands[h.band] ?? '', lx, ly); ctx.fillText(bands[h.band] ?? '', lx, ly);
    ctx.restore();
  }

  // treasure: a gold disc while available, a grey crossed ring once claimed.
  treasure(me, t) {
    if (t.state === 'available') { this.dot(me, t, 7, colours.treasure, '#10151c'); return; }
    if (t.state !== 'claimed') return;
    const { ctx } = this;
    const [x, y] = this.project(me, t.lat, t.lng);
    ctx.strokeStyle = colours.claimed; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(x, y, 6, 0, 2 * Math.PI); ctx.stroke();
    ctx.beginPath(); ctx.moveTo(x - 4, y - 4); ctx.lineTo(x + 4, y + 4); ctx.moveTo(x + 4, y - 4); ctx.lineTo(x - 4, y + 4); ctx.stroke();
  }

  dot(me, p, r, fill, ring) {
    const { ctx } = this;
    const [x, y] = this.project(me, p.lat, p.lng);
    ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.fillStyle = fill; ctx.fill();
    if (ring) { ctx.lineWidth = 2; ctx.strokeStyle = ring; ctx.stroke(); }
  }

  // scaleBar draws the longest round distance that fits in 120 px, at the
  // top left (the bottom may be under the phone's sheet).
  scaleBar() {
    const { ctx } = this;
    const metres = [5, 10, 20, 25, 50, 100, 200, 250, 500, 1000].filter((m) => m / METRES_PER_PIXEL <= 120).pop();
    const px = metres / METRES_PER_PIXEL, x = 14, y = 28;
    ctx.save();
    ctx.strokeStyle = colours.text; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(x, y - 5); ctx.lineTo(x, y); ctx.lineTo(x + px, y); ctx.lineTo(x + px, y - 5); ctx.stroke();
    ctx.fillStyle = colours.text; ctx.font = '12px system-ui, sans-serif'; ctx.textBaseline = 'bottom';
    ctx.fillText(metres >= 1000 ? `${metres / 1000} km` : `${metres} m`, x + 4, y - 4);
    ctx.restore();
  }
}
