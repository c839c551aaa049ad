// The JavaScript codec against the golden vectors shared with the Go codec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeFrame, encodeFrame, ProtocolError } from '../veltrix-protocol.js';

const golden = JSON.parse(readFileSync(new URL('../../testdata/golden.json', import.meta.url), 'utf8'));
const fromHex = (h) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const toHex = (b) => Buffer.from(b).toString('hex');

test('golden file has vectors of every kind', () => {
  assert.ok(golden.vectors.length >= 20);
  assert.ok(golden.vectors.some((v) => v.error));
  assert.ok(golden.vectors.some((v) => !v.canonical && !v.error));
});

for (const v of golden.vectors) {
  test(`golden: ${v.name}`, () => {
    const bytes = fromHex(v.hex);
    if (v.error) {
      assert.throws(() => decodeFrame(bytes), (e) => e instanceof ProtocolError && e.kind === v.error,
        `want a ProtocolError of kind ${v.error}`);
      return;
    }
    assert.deepEqual(decodeFrame(bytes), v.messages);
    if (v.canonical) {
      assert.equal(toHex(encodeFrame(v.messages)), v.hex);
    }
  });
}
