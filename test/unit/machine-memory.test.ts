import { describe, expect, it } from "vitest";
import { zeroOnlyWhatIsNot } from "../../src/vm/machine.ts";

/** v86's two memory exports, over a plain array, counting the bytes zero_memory writes. */
function fakeCpu(size: number) {
  const mem = new Uint8Array(size);
  const cpu = {
    written: 0,
    zero_memory(addr: number, length: number) {
      mem.fill(0, addr, addr + length);
      cpu.written += length;
    },
    is_memory_zeroed: (addr: number, length: number) =>
      mem.subarray(addr, addr + length).every((b) => b === 0),
  };
  return { mem, cpu };
}

describe("zeroOnlyWhatIsNot", () => {
  it("zeroes the whole range but writes only the pages that are not zero already", () => {
    const { mem, cpu } = fakeCpu(64 * 4096);
    mem[5] = 1;
    mem[3 * 4096 + 4095] = 2;
    mem[10 * 4096] = 3;
    mem[40 * 4096 + 7] = 4; // outside the range below: kept
    zeroOnlyWhatIsNot(cpu);
    cpu.zero_memory(0, 20 * 4096);
    expect(mem.subarray(0, 20 * 4096).every((b) => b === 0)).toBe(true);
    expect(mem[40 * 4096 + 7]).toBe(4);
    expect(cpu.written).toBe(3 * 4096);
  });

  it("handles ranges that start and end inside a page", () => {
    const { mem, cpu } = fakeCpu(8 * 4096);
    mem.fill(9);
    zeroOnlyWhatIsNot(cpu);
    cpu.zero_memory(100, 2 * 4096);
    expect(mem[99]).toBe(9);
    expect(mem.subarray(100, 100 + 2 * 4096).every((b) => b === 0)).toBe(true);
    expect(mem[100 + 2 * 4096]).toBe(9);
    expect(cpu.written).toBe(2 * 4096);
  });
});
