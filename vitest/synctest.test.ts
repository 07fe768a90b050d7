// synctest inside vitest: the same virtual-time rules, no vi.useFakeTimers() and no manual advancing.
import { describe, expect, it } from "vitest";
import { go, Chan, select, recv } from "../src/index.js";
import * as synctest from "../src/synctest/index.js";
import * as time from "../src/time/index.js";

describe("goroutine/synctest under vitest", () => {
  it("a timeout inside code under test fires without advancing time by hand", async () => {
    await synctest.test(async () => {
      const slow = new Chan<string>();
      go(async () => {
        await time.sleep(10 * time.Second);
        await slow.send("late");
      });
      const got = await select([recv(slow, (v) => v), recv(time.after(2 * time.Second), () => "timeout")]);
      expect(got).toBe("timeout");
      expect(time.now().toISOString()).toBe("2000-01-01T00:00:02.000Z");
      await expect(slow.recv()).resolves.toBe("late");
    });
  });

  it("reports a leaked goroutine as a deadlock", async () => {
    await expect(
      synctest.test(() => {
        const ch = new Chan<number>();
        go(async () => {
          await ch.send(1);
        });
      }),
    ).rejects.toThrow(/main bubble goroutine has exited but blocked goroutines remain/);
  });
});
