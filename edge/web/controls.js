// The page's controls: arrow keys (Shift for longer steps) and C to claim;
// on the map, a drag walks with the finger or mouse and a tap walks towards
// the tapped point (at most 25 m a tap). Pointer events cover mouse, pen and
// touch alike; the canvas has touch-action: none so the browser does not
// scroll or zoom instead.

const TAP_SLOP = 8; // px a press may move and still be a tap
const TAP_STEP = 25; // metres, at most, per tap

// bindControls wires the controls to walk(dNorth, dEast) and claim(); view
// converts canvas points to metres (map.js); ready() says whether the
// player has a position yet.
export function bindControls({ canvas, view, walk, claim, ready }) {
  document.addEventListener('keydown', (e) => {
    if (!ready()) return;
    const d = e.shiftKey ? 25 : 5;
    const moves = { ArrowUp: [d, 0], ArrowDown: [-d, 0], ArrowLeft: [0, -d], ArrowRight: [0, d] };
    if (moves[e.key]) { e.preventDefault(); walk(...moves[e.key]); }
    if (e.key === 'c' || e.key === 'C') claim();
  });
  let press = null;
  canvas.addEventListener('pointerdown', (e) => {
    press = { id: e.pointerId, x: e.clientX, y: e.clientY, last: [e.clientX, e.clientY], dragged: false };
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!press || e.pointerId !== press.id || !ready()) return;
    if (!press.dragged && Math.hypot(e.clientX - press.x, e.clientY - press.y) < TAP_SLOP) return;
    press.dragged = true;
    // Dragging the map south-east walks the player north-west.
    const [n, east] = [(e.clientY - press.last[1]) * view.metresPerPixel, -(e.clientX - press.last[0]) * view.metresPerPixel];
    press.last = [e.clientX, e.clientY];
    walk(n, east);
  });
  const end = (e) => {
    if (!press || e.pointerId !== press.id) return;
    const tap = !press.dragged && e.type === 'pointerup';
    press = null;
    if (!tap || !ready()) return;
    const r = canvas.getBoundingClientRect();
    const [n, east] = view.offset(e.clientX - r.left, e.clientY - r.top);
    const d = Math.hypot(n, east);
    const k = d > TAP_STEP ? TAP_STEP / d : 1;
    walk(n * k, east * k);
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
}
