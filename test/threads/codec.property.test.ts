/**
 * The threads codec against `structuredClone` as its model: every value it accepts must come back as
 * structured clone would give it — strings code unit for code unit (lone surrogates included), arrays
 * with their holes — and shared objects nested anywhere must come back as the same object.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as threads from "../../src/threads/index.js";
import { decodeValue, decodeValues, encodeValue, encodeValues } from "../../src/internal/threads/codec.js";

function roundTrip(v: unknown): unknown {
  return decodeValue(encodeValue(v));
}

/** Any UTF-16 code unit: lone surrogates too (fc's "binary" unit makes only whole code points). */
const codeUnit = fc.nat({ max: 0xffff }).map((c) => String.fromCharCode(c));

/** Everything fc.anything can make that structured clone accepts (no Errors: the codec keeps more of them). */
const anything = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
  withNullPrototype: true,
  withObjectString: true,
  stringUnit: fc.oneof(codeUnit, fc.string({ unit: "binary", minLength: 1, maxLength: 1 })),
  key: fc.string({ unit: codeUnit }),
});

test("a string with lone surrogates (half an emoji) round-trips unchanged, not as U+FFFD", () => {
  const half = "😀".slice(0, 1);
  for (const s of [half, `a${half}b`, "😀".slice(1), `${"x".repeat(40)}\udc00\ud800`, "\ud800\ud800", "é\udfff"]) {
    assert.equal(roundTrip(s), s);
    assert.deepEqual(decodeValues(encodeValues([s, 1, s])), [s, 1, s]);
  }
});

test("an array with holes keeps its holes when it also holds a shared object", () => {
  const n = new threads.Int32(7);
  const sparse: unknown[] = [];
  sparse[1] = n;
  sparse[4] = "x";
  const back = roundTrip({ sparse }) as { sparse: unknown[] };
  assert.equal(back.sparse.length, 5);
  assert.deepEqual(Object.keys(back.sparse), ["1", "4"]);
  assert.equal(back.sparse[1], n);
  assert.equal(0 in back.sparse, false);
  const plain = roundTrip([1, , 3]) as unknown[]; // eslint-disable-line no-sparse-arrays
  assert.equal(1 in plain, false);
});

test("property: any string round-trips code unit for code unit", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.string({ unit: codeUnit, maxLength: 200 }),
      fc.string({ unit: fc.oneof(codeUnit, fc.constantFrom("a", "é", "😀")), maxLength: 50 }),
      (a, b, c) => {
        for (const s of [a, b, c]) assert.equal(roundTrip(s), s);
        assert.deepEqual(decodeValues(encodeValues([a, b, c])), [a, b, c]);
      },
    ),
    { numRuns: 500 },
  );
});

test("property: any value structured clone accepts comes back as structuredClone gives it", () => {
  fc.assert(
    fc.property(anything, (v) => {
      assert.deepStrictEqual(roundTrip(v), structuredClone(v));
    }),
    { numRuns: 500 },
  );
});

test("property: shared objects nested in any value come back as themselves, the rest as structuredClone", () => {
  const shared = [new threads.Int32(1), new threads.Mutex(), new threads.Chan<number>(1)];
  const slot = fc.constantFrom(0, 1, 2);
  fc.assert(
    fc.property(anything, slot, fc.boolean(), (v, i, inMap) => {
      const s = shared[i];
      const holder: unknown[] = [v, s];
      holder[5] = inMap ? new Map<unknown, unknown>([[s, v]]) : new Set([s]);
      const back = roundTrip({ holder }) as { holder: unknown[] };
      assert.equal(back.holder[1], s);
      assert.deepStrictEqual(back.holder[0], structuredClone(v));
      assert.deepEqual(Object.keys(back.holder), ["0", "1", "5"]);
      const c = back.holder[5];
      if (inMap) {
        assert.ok(c instanceof Map);
        assert.deepStrictEqual([...c.keys()], [s]);
        assert.deepStrictEqual(c.get(s), structuredClone(v));
      } else {
        assert.ok(c instanceof Set);
        assert.equal([...c][0], s);
      }
    }),
    { numRuns: 300 },
  );
});
