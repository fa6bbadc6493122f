import { describe, expect, it } from "vitest";
import type { Machine } from "../../src/vm/machine.ts";
import { WARMUP_STEPS, warmUp } from "../../src/vm/warmup.ts";

describe("warmUp", () => {
  it("tells before and after every step, also after a step that failed", async () => {
    const seen: string[] = [];
    let n = 0;
    const machine = {
      exec: async () => {
        seen.push("exec");
        return ++n === 2
          ? { exit: 1, stdout: "", stderr: "no space left" }
          : { exit: 0, stdout: "", stderr: "" };
      },
    } as unknown as Machine;
    const run = warmUp(machine, {
      beforeStep: async () => void seen.push("before"),
      afterStep: () => void seen.push("after"),
    });
    await expect(run).rejects.toThrow(/exit 1.*no space left/);
    expect(seen).toEqual(["before", "exec", "after", "before", "exec", "after"]);
    expect(WARMUP_STEPS.length).toBeGreaterThan(2);
  });
});
