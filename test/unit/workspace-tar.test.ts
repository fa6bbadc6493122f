// The workspace archive format: what writeTar makes, readTar and GNU tar read back byte for byte
// (binary contents, UTF-8 and long names), and a damaged archive is a clear error.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TarError, readTar, writeTar, type TarEntry } from "../../src/workspace/tar.ts";

const text = (s: string) => new TextEncoder().encode(s);
const binary = new Uint8Array(70_001).map((_, i) => (i * 131 + 7) & 0xff);
const longName = `deep/${"a".repeat(120)}/file.txt`;
const entries: TarEntry[] = [
  { path: "site", kind: "dir", bytes: new Uint8Array(0), mtimeMs: 1_700_000_000_000 },
  {
    path: "site/index.html",
    kind: "file",
    bytes: text("<h1>hi</h1>\n"),
    mtimeMs: 1_700_000_001_000,
  },
  { path: "site/logo.bin", kind: "file", bytes: binary, mtimeMs: 1_700_000_002_000 },
  { path: "한글 이름.txt", kind: "file", bytes: text("세계\n"), mtimeMs: 1_700_000_003_000 },
  { path: longName, kind: "file", bytes: text("long\n"), mtimeMs: 1_700_000_004_000 },
  { path: "empty.txt", kind: "file", bytes: new Uint8Array(0), mtimeMs: 1_700_000_005_000 },
];

describe("tar", () => {
  it("round trip: names, kinds, bytes and times survive", () => {
    const archive = writeTar(entries);
    expect(archive.length % 512).toBe(0);
    const back = readTar(archive);
    expect(back.map((e) => [e.path, e.kind, e.mtimeMs])).toEqual(
      entries.map((e) => [e.path, e.kind, e.mtimeMs]),
    );
    for (const [i, e] of back.entries()) expect([...e.bytes]).toEqual([...entries[i]!.bytes]);
  });

  it("GNU tar reads what writeTar wrote, and readTar reads what GNU tar wrote", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tar-"));
    try {
      fs.writeFileSync(path.join(dir, "ours.tar"), writeTar(entries));
      fs.mkdirSync(path.join(dir, "out"));
      execFileSync("tar", ["-C", path.join(dir, "out"), "-xf", path.join(dir, "ours.tar")]);
      expect(fs.readFileSync(path.join(dir, "out/한글 이름.txt"), "utf8")).toBe("세계\n");
      expect(fs.readFileSync(path.join(dir, "out", longName), "utf8")).toBe("long\n");
      expect(fs.readFileSync(path.join(dir, "out/site/logo.bin")).equals(binary)).toBe(true);

      const theirs = execFileSync("tar", ["-C", path.join(dir, "out"), "-cf", "-", "."]);
      const back = readTar(new Uint8Array(theirs));
      const byPath = new Map(back.map((e) => [e.path, e]));
      expect(byPath.get("site")?.kind).toBe("dir");
      expect(new TextDecoder().decode(byPath.get("한글 이름.txt")?.bytes)).toBe("세계\n");
      expect(new TextDecoder().decode(byPath.get(longName)?.bytes)).toBe("long\n");
      expect([...byPath.get("site/logo.bin")!.bytes]).toEqual([...binary]);
      expect(byPath.get("site/index.html")?.mtimeMs).toBe(1_700_000_001_000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a file that is not a tar archive, or a cut one, is refused with where it broke", () => {
    expect(() => readTar(text("PK\x03\x04 this is a zip file".padEnd(1024, " ")))).toThrow(
      /not a tar archive.*byte 0/,
    );
    const cut = writeTar(entries).subarray(0, 1030); // inside index.html
    expect(() => readTar(cut)).toThrow(TarError);
    expect(readTar(new Uint8Array(1024))).toEqual([]);
  });
});
