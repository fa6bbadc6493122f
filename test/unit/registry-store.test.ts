import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import "fake-indexeddb/auto";
import { afterAll, describe, expect, it } from "vitest";
import type { Digest } from "../../src/vm/registry/digest.ts";
import { sha256Digest } from "../../src/vm/registry/digest.ts";
import { FsStore, type FsPromises } from "../../src/vm/registry/fs-store.ts";
import { IdbStore } from "../../src/vm/registry/idb-store.ts";
import { MemoryStore, type RegistryStore } from "../../src/vm/registry/store.ts";
import { StorageFullError } from "../../src/vm/registry/errors.ts";

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "registry-store-"));
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

let n = 0;
const stores: [string, () => Promise<RegistryStore>][] = [
  ["MemoryStore", async () => new MemoryStore()],
  ["FsStore", async () => new FsStore(fs as unknown as FsPromises, path.join(tmp, `s${n++}`))],
  ["IdbStore", async () => IdbStore.open(`test-${n++}`)],
];

describe.each(stores)("%s", (_name, make) => {
  it("keeps blobs, manifests and tags", async () => {
    const s = await make();
    const blob = new TextEncoder().encode("layer");
    const d = await sha256Digest(blob);
    expect(await s.getBlob(d)).toBeUndefined();
    expect(await s.blobSize(d)).toBeUndefined();
    await s.putBlob(d, blob);
    expect([...(await s.getBlob(d))!]).toEqual([...blob]);
    expect(await s.blobSize(d)).toBe(blob.length);
    const m = {
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      bytes: new TextEncoder().encode("{}"),
    };
    const md = await sha256Digest(m.bytes);
    await s.putManifest(md, m);
    const back = await s.getManifest(md);
    expect(back?.mediaType).toBe(m.mediaType);
    expect([...back!.bytes]).toEqual([...m.bytes]);
    await s.putTag("myapp", "v1", md);
    await s.putTag("myapp", "latest", md);
    await s.putTag("other/app", "v2", md);
    expect(await s.getTag("myapp", "v1")).toBe(md);
    expect(await s.getTag("myapp", "nope")).toBeUndefined();
    expect(await s.listTags("myapp")).toEqual(["latest", "v1"]);
    expect(await s.listTags("nothing")).toEqual([]);
    expect(await s.listRepositories()).toEqual(["myapp", "other/app"]);
  });
});

describe("FsStore on a full disk", () => {
  it("reports StorageFullError and leaves no partial file", async () => {
    const dir = path.join(tmp, "full");
    const full: FsPromises = {
      ...(fs as unknown as FsPromises),
      writeFile: async (p: string, data: Uint8Array | string) => {
        await fs.writeFile(p, typeof data === "string" ? data : data.subarray(0, 1));
        throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
      },
    };
    const s = new FsStore(full, dir);
    const d = ("sha256:" + "a".repeat(64)) as Digest;
    await expect(s.putBlob(d, new Uint8Array(10))).rejects.toBeInstanceOf(StorageFullError);
    expect(await s.getBlob(d)).toBeUndefined();
    const left = await fs.readdir(path.join(dir, "blobs/sha256"));
    expect(left).toEqual([]);
  });
});
