/**
 * The global queue's slot array grows while the heap grows: the records already queued and the one
 * being added must all come back (a view taken before the allocation would drop them).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { heap } from "../../src/internal/threads/heap.js";
import { GQ_WORDS, LOCAL_WORDS, globalGet, globalInit, globalPut, localGet } from "../../src/internal/threads/runq.js";

test("global queue growth that grows the heap keeps every record", () => {
  const h = heap();
  const gq = h.alloc(GQ_WORDS * 4) >> 2;
  globalInit(h, gq, 1024);
  const q = h.alloc(LOCAL_WORDS * 4) >> 2;
  // Use the heap up to its end, so that the slot array's growth must grow the heap too.
  while (h.sab.byteLength - h.used > 64) h.alloc(40);
  const before = h.sab.byteLength;
  const want = Array.from({ length: 1025 }, (_, i) => (i + 1) * 8);
  for (const r of want) globalPut(gq, r);
  assert.ok(h.sab.byteLength > before, "the heap grew");
  const got: number[] = [];
  for (let r = globalGet(gq, q, 1); r !== 0; r = globalGet(gq, q, 1)) {
    got.push(r);
    for (let x = localGet(q); x !== 0; x = localGet(q)) got.push(x);
  }
  assert.deepEqual(got, want);
});
