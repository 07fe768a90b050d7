import { test } from "node:test";
import assert from "node:assert/strict";
import { go, Chan, select, recv, send } from "../src/index.js";

test("ping-pong and select", async () => {
  const a = new Chan<number>();
  const b = new Chan<number>();
  go(async () => {
    for (;;) {
      const [v, ok] = await a.recvOk();
      if (!ok) return;
      await b.send(v! + 1);
    }
  });
  for (let i = 0; i < 10; i++) {
    await a.send(i);
    assert.equal(await b.recv(), i + 1);
  }
  a.close();
  const c = new Chan<string>(1);
  const r = await select([recv(c, (v) => v), send(c, "x", () => 5)]);
  assert.equal(r, 5);
  const r2: string | number | undefined = await select([recv(c, (v) => v), send(c, "y", () => 5)]);
  assert.equal(r2, "x");
});

test("select result types are the union of the handlers", async () => {
  const c = new Chan<string>(1);
  c.trySend("s");
  const r = await select([recv(c, (v) => v!.length), recv(c, () => "str"), recv(c, async () => true)]);
  const check: number | string | boolean = r;
  void check;
  const d = select([recv(c, () => 1)], () => "none");
  const check2: number | string = d;
  assert.equal(check2, "none");
  const e = await select<number>([recv(c, () => 1), send(c, "z", () => 2)]);
  assert.equal(typeof e, "number");
});
