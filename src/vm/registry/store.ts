// Where the registry keeps content: blobs (layers, configs) and manifests by digest, and tags.
// Bundled blobs land here too once fetched, so a second pull needs no download.
import type { Digest } from "./digest.ts";
import { StorageFullError } from "./errors.ts";

export interface StoredManifest {
  mediaType: string;
  bytes: Uint8Array;
}

/**
 * The registry's storage. Implementations must keep each put atomic: after a failed put
 * (quota, crash) the digest is absent, never half-written. Callers verify digests first.
 */
export interface RegistryStore {
  getBlob(digest: Digest): Promise<Uint8Array | undefined>;
  blobSize(digest: Digest): Promise<number | undefined>;
  putBlob(digest: Digest, bytes: Uint8Array): Promise<void>;
  getManifest(digest: Digest): Promise<StoredManifest | undefined>;
  putManifest(digest: Digest, manifest: StoredManifest): Promise<void>;
  getTag(repository: string, tag: string): Promise<Digest | undefined>;
  putTag(repository: string, tag: string, digest: Digest): Promise<void>;
  listTags(repository: string): Promise<string[]>;
  listRepositories(): Promise<string[]>;
}

/** Keeps everything in memory; `quotaBytes` lets tests (and Node runs) simulate a full disk. */
export class MemoryStore implements RegistryStore {
  private blobs = new Map<Digest, Uint8Array>();
  private manifests = new Map<Digest, StoredManifest>();
  private tags = new Map<string, Map<string, Digest>>();
  private used = 0;

  constructor(private readonly quotaBytes = Infinity) {}

  private reserve(n: number): void {
    if (this.used + n > this.quotaBytes) {
      throw new StorageFullError(`quota of ${this.quotaBytes} bytes exceeded`);
    }
    this.used += n;
  }

  async getBlob(d: Digest) {
    return this.blobs.get(d);
  }
  async blobSize(d: Digest) {
    return this.blobs.get(d)?.length;
  }
  async putBlob(d: Digest, bytes: Uint8Array) {
    if (this.blobs.has(d)) return;
    this.reserve(bytes.length);
    this.blobs.set(d, bytes);
  }
  async getManifest(d: Digest) {
    return this.manifests.get(d);
  }
  async putManifest(d: Digest, m: StoredManifest) {
    if (this.manifests.has(d)) return;
    this.reserve(m.bytes.length);
    this.manifests.set(d, m);
  }
  async getTag(repo: string, tag: string) {
    return this.tags.get(repo)?.get(tag);
  }
  async putTag(repo: string, tag: string, d: Digest) {
    let t = this.tags.get(repo);
    if (!t) this.tags.set(repo, (t = new Map()));
    t.set(tag, d);
  }
  async listTags(repo: string) {
    return [...(this.tags.get(repo)?.keys() ?? [])].sort();
  }
  async listRepositories() {
    return [...this.tags.keys()].sort();
  }
  /** Bytes held, for tests. */
  get bytesUsed(): number {
    return this.used;
  }
}
