// The stage-1 initramfs writer: what the kernel's "newc" unpacker reads, byte for byte stable.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain JS module without types
import { newcArchive } from "../../scripts/lib/cpio.mjs";

function parse(buf: Buffer) {
  const entries: { name: string; mode: number; mtime: number; data: string }[] = [];
  let at = 0;
  const field = (i: number) =>
    parseInt(buf.toString("latin1", at + 6 + i * 8, at + 14 + i * 8), 16);
  for (;;) {
    expect(buf.toString("latin1", at, at + 6)).toBe("070701");
    const mode = field(1);
    const mtime = field(5);
    const size = field(6);
    const nameSize = field(11);
    const name = buf.toString("latin1", at + 110, at + 110 + nameSize - 1);
    at += 110 + nameSize;
    at += (4 - (at % 4)) % 4;
    const data = buf.toString("latin1", at, at + size);
    at += size;
    at += (4 - (at % 4)) % 4;
    if (name === "TRAILER!!!") return { entries, end: at };
    entries.push({ name, mode, mtime, data });
  }
}

describe("newcArchive", () => {
  const archive: Buffer = newcArchive(
    [
      { name: "bin", dir: true },
      { name: "bin/sh", symlink: "busybox" },
      { name: "init", data: Buffer.from("#!/bin/sh\n"), mode: 0o755 },
      { name: "odd", data: Buffer.from("x") },
    ],
    1767225600,
  );

  it("writes directories, symlinks and files in order, 4-byte aligned, ending in a trailer", () => {
    const { entries, end } = parse(archive);
    expect(end).toBe(archive.length);
    expect(entries.map((e) => [e.name, e.mode.toString(8), e.data])).toEqual([
      ["bin", "40755", ""],
      ["bin/sh", "120777", "busybox"],
      ["init", "100755", "#!/bin/sh\n"],
      ["odd", "100644", "x"],
    ]);
    expect(entries.every((e) => e.mtime === 1767225600)).toBe(true);
  });

  it("gives the same bytes for the same input", () => {
    const again: Buffer = newcArchive([{ name: "bin", dir: true }], 1);
    expect(again.equals(newcArchive([{ name: "bin", dir: true }], 1))).toBe(true);
  });
});
