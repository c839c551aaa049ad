// Heat map of crowded cells. A crowded cell (SPEC.md §2.2 CELL_SUMMARY) is
// sent as samples of its players plus, about once a second, a summary: its
// count, centroid and the counts of its finer child cells. Where individual
// dots stop making sense the page draws each child as a glow sized and
// coloured by its share of the cell, and leaves the cell's dots out.

const FORGET_MS = 10_000; // as for players: a summary not renewed for 10 s is dropped

export class HeatMap {
  cells = new Map(); // cell (hex) → { count, children: [{ lat, lng, count }], at }
  drawn = 0; // child glows drawn by the last draw

  // update records a CELL_SUMMARY received at now (ms).
  update(m, now) {
    this.cells.set(m.cell, {
      count: m.count, at: now,
      children: m.children.map((c) => ({ lat: c.lat / 1e7, lng: c.lng / 1e7, count: c.count })),
    });
  }

  // forget drops a cell that is no longer crowded (the edge sent its SNAPSHOT).
  forget(cell) { this.cells.delete(cell); }

  // covers reports whether cell is drawn as heat rather than dots.
  covers(cell) { return this.cells.has(cell); }

  // crowd is how many players the crowded cells hold.
  crowd() {
    let n = 0;
    for (const c of this.cells.values()) n += c.count;
    return n;
  }

  // draw paints the crowded cells on ctx, project mapping lat/lng to pixels.
  draw(ctx, project, now) {
    this.drawn = 0;
    for (const [cell, c] of this.cells) {
      if (now - c.at > FORGET_MS) { this.cells.delete(cell); continue; }
      const most = Math.max(1, ...c.children.map((x) => x.count));
      for (const ch of c.children) {
        const [x, y] = project(ch.lat, ch.lng);
        const share = ch.count / most;
        const r = 14 + 34 * Math.sqrt(share);
        const g = ctx.createRadialGradient(x, y, 0, x, y, r);
        g.addColorStop(0, `rgba(255, ${Math.round(180 - 140 * share)}, 40, ${0.35 + 0.5 * share})`);
        g.addColorStop(1, 'rgba(255, 80, 40, 0)');
        ctx.fillStyle = g;
        ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.fill();
        this.drawn++;
      }
    }
  }
}
