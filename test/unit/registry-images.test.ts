// The image recipes and lock, checked without building (the build itself needs the network).
import fs from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- a plain .mjs build script without type declarations
import { helloElf, loadRecipes, LOCK_FILE, packagesOf } from "../../scripts/build-images.mjs";

interface Recipe {
  name: string;
  repository: string;
  tags: string[];
  from?: string;
  layers: { packages?: string[]; only?: Record<string, string[]> }[];
  config: { Cmd?: string[]; Env?: string[] };
}

describe("bundled image recipes", () => {
  const recipes = loadRecipes() as Map<string, Recipe>;
  const lock = JSON.parse(fs.readFileSync(LOCK_FILE, "utf8")) as {
    packages: Record<string, { version: string; sha256: string; url: string }>;
  };

  it("has the images lessons need, each with a command and a PATH", () => {
    for (const name of ["hello-world", "busybox", "debian", "nginx", "httpd", "whalesay"]) {
      const r = recipes.get(name);
      expect(r, name).toBeDefined();
      expect(r!.config.Cmd?.length, name).toBeGreaterThan(0);
      expect(
        r!.config.Env?.some((e) => e.startsWith("PATH=")),
        name,
      ).toBe(true);
    }
    expect(recipes.get("debian")!.tags).toEqual(
      expect.arrayContaining(["bookworm", "12", "latest"]),
    );
    for (const name of ["nginx", "httpd", "whalesay"])
      expect(recipes.get(name)!.from).toBe("debian");
  });

  it("pins every package the recipes use, by URL and sha256", () => {
    for (const p of packagesOf(recipes) as string[]) {
      const entry = lock.packages[p];
      expect(
        entry,
        `${p} missing from packages.lock.json: run build-images.mjs --update-lock`,
      ).toBeDefined();
      expect(entry!.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(entry!.url).toMatch(/^http:\/\/deb\.debian\.org\/debian(-security)?\/pool\//);
    }
    for (const r of recipes.values()) {
      for (const l of r.layers) {
        for (const p of Object.keys(l.only ?? {}))
          expect(l.packages, `${r.name}: only ${p}`).toContain(p);
      }
    }
  });

  it("hello-world's program is a static i386 ELF that carries the message", () => {
    const elf = helloElf("Hello from Docker!\n") as Uint8Array;
    const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
    expect([...elf.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(elf[4]).toBe(1); // 32-bit
    expect(view.getUint16(18, true)).toBe(3); // EM_386
    const entry = view.getUint32(24, true);
    expect(entry - 0x08048000).toBe(84); // code right after the headers
    expect(new TextDecoder().decode(elf.subarray(elf.length - 19))).toBe("Hello from Docker!\n");
    // mov ecx, msg points at the message inside the mapped file
    const msgAddr = view.getUint32(84 + 11, true);
    expect(msgAddr - 0x08048000).toBe(elf.length - 19);
  });
});
