// Tests of Neighbours, the merge of CELL_UPDATEs from several origins
// (SPEC.md §2.5) and of FINE_CELLs (§2.2), on messages that went through the
// codec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Neighbours, Flags, CellOp, encode, decodeFrame, fineCellAsCellUpdate } from '../veltrix-protocol.js';

const cell = '8928308280fffff';
const wire = (m) => decodeFrame(encode({ type: 'CELL_UPDATE', cell, tick: 1, flags: 0, entries: [], ...m }))[0];
const entry = (op, player) => ({ op, player, lat: 1, lng: 2, stamp: 0 });
const ids = (n) => [...n.players.keys()].sort();

test('the origin survives the codec and an old message has none', () => {
  assert.equal(wire({ origin: 7 }).origin, 7);
  assert.equal(wire({}).origin, undefined);
});

test('left removes a player only for the origin that holds it', () => {
  const n = new Neighbours();
  n.apply(wire({ origin: 5, entries: [entry(CellOp.entered, 1), entry(CellOp.entered, 2)] }), 0);
  n.apply(wire({ origin: 6, entries: [entry(CellOp.entered, 1)] }), 0); // player 1 moved to edge 6
  n.apply(wire({ origin: 5, entries: [entry(CellOp.left, 1), entry(CellOp.left, 2)] }), 0);
  assert.deepEqual(ids(n), [1]);
  assert.equal(n.players.get(1).origin, 6);
});

test('ORIGIN_SNAPSHOT replaces one origin, SNAPSHOT the whole cell', () => {
  const n = new Neighbours();
  n.apply(wire({ origin: 5, entries: [entry(CellOp.entered, 1), entry(CellOp.entered, 2)] }), 0);
  n.apply(wire({ origin: 6, entries: [entry(CellOp.entered, 3)] }), 0);
  n.apply(wire({ origin: 5, flags: Flags.ORIGIN_SNAPSHOT, entries: [entry(CellOp.entered, 2)] }), 0);
  n.apply(wire({ origin: 5, flags: Flags.ORIGIN_SNAPSHOT | Flags.CONTINUED, entries: [entry(CellOp.entered, 4)] }), 0);
  assert.deepEqual(ids(n), [2, 3, 4]);
  // An edge's snapshot (its own players) followed by the others' series.
  n.apply(wire({ origin: 9, flags: Flags.SNAPSHOT, entries: [entry(CellOp.entered, 8)] }), 0);
  n.apply(wire({ origin: 6, flags: Flags.ORIGIN_SNAPSHOT, entries: [entry(CellOp.entered, 3)] }), 0);
  assert.deepEqual(ids(n), [3, 8]);
});

test('players not heard of for 10 s are forgotten, self is skipped', () => {
  const n = new Neighbours();
  n.apply(wire({ origin: 5, entries: [entry(CellOp.entered, 1), entry(CellOp.entered, 42)] }), 0, 42);
  n.apply(wire({ origin: 6, entries: [entry(CellOp.entered, 2)] }), 5000);
  n.forget(10001);
  assert.deepEqual(ids(n), [2]);
});

test('a REFINED snapshot replaces the players of its fine cell only', () => {
  const kid = '8c1969c9b3905ff';
  const n = new Neighbours();
  n.apply(wire({ entries: [entry(CellOp.moved, 1)] }), 0); // a crowded cell's sample
  n.apply(wire({ cell: kid, flags: Flags.SNAPSHOT | Flags.REFINED, entries: [entry(CellOp.entered, 2), entry(CellOp.entered, 3)] }), 0);
  n.apply(wire({ cell: kid, flags: Flags.SNAPSHOT | Flags.REFINED, entries: [entry(CellOp.entered, 3)] }), 1000);
  assert.deepEqual(ids(n), [1, 3]);
  assert.equal(n.players.get(3).cell, kid);
});

test('a FINE_CELL replaces the players of its fine cell like the REFINED snapshot it stands for', () => {
  const kid = '8c1969c9b3905ff';
  const fine = (m) => decodeFrame(encode({ type: 'FINE_CELL', cell: kid, tick: 1, flags: Flags.SNAPSHOT, lat: 523730796, lng: -48924534,
    stamp: 0, entries: [], ...m }))[0];
  const n = new Neighbours();
  n.apply(wire({ entries: [entry(CellOp.moved, 1)] }), 0); // a crowded cell's sample
  n.apply(wire({ cell: kid, flags: Flags.SNAPSHOT | Flags.REFINED, entries: [entry(CellOp.entered, 2), entry(CellOp.entered, 3)] }), 0);
  n.apply(fine({ origin: 6, entries: [{ player: 3, dlat: -30, dlng: 40 }, { player: 4, dlat: 90, dlng: -1 }, { player: 42, dlat: 0, dlng: 0 }] }), 1000, 42);
  assert.deepEqual(ids(n), [1, 3, 4]); // 2 forgotten by the snapshot, 42 is self
  assert.deepEqual(n.players.get(3), { lat: 523729596, lng: -48922934, cell: kid, origin: 6, seen: 1000 });
  assert.deepEqual(n.players.get(4), { lat: 523734396, lng: -48924574, cell: kid, origin: 6, seen: 1000 });
  // A continued message of the series adds to it.
  n.apply(fine({ flags: Flags.CONTINUED, entries: [{ player: 5, dlat: 0, dlng: 0 }] }), 1000);
  assert.deepEqual(ids(n), [1, 3, 4, 5]);
  // The same as the CELL_UPDATE it converts to, in every player's every field.
  const m = fine({ origin: 9, entries: [{ player: 7, dlat: -1, dlng: -128 }, { player: 8, dlat: 127, dlng: 5 }] });
  const a = new Neighbours();
  const b = new Neighbours();
  for (const x of [a, b]) x.apply(wire({ cell: kid, entries: [entry(CellOp.entered, 2)] }), 0);
  a.apply(m, 500);
  b.apply(wire(fineCellAsCellUpdate(m)), 500);
  assert.deepEqual([...a.players].sort(), [...b.players].sort());
  assert.deepEqual(ids(a), [7, 8]);
});
