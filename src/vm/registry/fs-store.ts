// A RegistryStore on a directory, for Node (integration tests, benchmarks). The file system
// is passed in, so this module stays free of Node imports and type-checks for the browser.
import type { Digest } from "./digest.ts";
import { isQuotaError, StorageFullError } from "./errors.ts";
import type { RegistryStore, StoredManifest } from "./store.ts";

/** The slice of `node:fs/promises` this store uses. */
export interface FsPromises {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  mkdir(path: string, opts: { recursive: true }): Promise<unknown>;
  readdir(path: string): Promise<string[]>;
  stat(path: string): Promise<{ size: number }>;
  rm(path: string, opts: { force: true }): Promise<void>;
}

const missing = (e: unknown) => (e as { code?: string })?.code === "ENOENT";

export class FsStore implements RegistryStore {
  private seq = 0;
  constructor(
    private readonly fs: FsPromises,
    private readonly dir: string,
  ) {}

  private blobPath(d: Digest) {
    return `${this.dir}/blobs/${d.replace(":", "/")}`;
  }
  private manifestPath(d: Digest) {
    return `${this.dir}/manifests/${d.replace(":", "/")}.json`;
  }
  private tagPath(repo: string, tag: string) {
    return `${this.dir}/tags/${encodeURIComponent(repo)}/${tag}`;
  }

  /** Write to a temporary name, then rename: a crash or full disk leaves no partial file. */
  private async atomicWrite(path: string, data: Uint8Array | string) {
    await this.fs.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    const tmp = `${path}.part${this.seq++}`;
    try {
      await this.fs.writeFile(tmp, data);
      await this.fs.rename(tmp, path);
    } catch (e) {
      await this.fs.rm(tmp, { force: true }).catch(() => undefined);
      if (isQuotaError(e)) throw new StorageFullError(`disk full while writing ${path}`);
      throw e;
    }
  }

  private async read(path: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await this.fs.readFile(path));
    } catch (e) {
      if (missing(e)) return undefined;
      throw e;
    }
  }

  getBlob(d: Digest) {
    return this.read(this.blobPath(d));
  }
  async blobSize(d: Digest) {
    try {
      return (await this.fs.stat(this.blobPath(d))).size;
    } catch (e) {
      if (missing(e)) return undefined;
      throw e;
    }
  }
  putBlob(d: Digest, bytes: Uint8Array) {
    return this.atomicWrite(this.blobPath(d), bytes);
  }
  async getManifest(d: Digest): Promise<StoredManifest | undefined> {
    const raw = await this.read(this.manifestPath(d));
    if (!raw) return undefined;
    const bytes = await this.read(this.manifestPath(d) + ".body");
    if (!bytes) return undefined;
    const meta = JSON.parse(new TextDecoder().decode(raw)) as { mediaType: string };
    return { mediaType: meta.mediaType, bytes };
  }
  async putManifest(d: Digest, m: StoredManifest) {
    // Body first, then the record that makes it visible.
    await this.atomicWrite(this.manifestPath(d) + ".body", m.bytes);
    await this.atomicWrite(this.manifestPath(d), JSON.stringify({ mediaType: m.mediaType }));
  }
  async getTag(repo: string, tag: string) {
    const raw = await this.read(this.tagPath(repo, tag));
    return raw ? (new TextDecoder().decode(raw) as Digest) : undefined;
  }
  putTag(repo: string, tag: string, d: Digest) {
    return this.atomicWrite(this.tagPath(repo, tag), d);
  }
  async listTags(repo: string) {
    try {
      const names = await this.fs.readdir(`${this.dir}/tags/${encodeURIComponent(repo)}`);
      return names.filter((n) => !n.includes(".part")).sort();
    } catch (e) {
      if (missing(e)) return [];
      throw e;
    }
  }
  async listRepositories() {
    try {
      return (await this.fs.readdir(`${this.dir}/tags`)).map(decodeURIComponent).sort();
    } catch (e) {
      if (missing(e)) return [];
      throw e;
    }
  }
}
