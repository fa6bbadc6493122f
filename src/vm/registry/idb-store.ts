// A RegistryStore in IndexedDB, for the browser: pushed images and fetched bundled blobs
// survive a reload. Each put is one transaction, so a quota failure leaves nothing behind.
import type { Digest } from "./digest.ts";
import { isQuotaError, StorageFullError } from "./errors.ts";
import type { RegistryStore, StoredManifest } from "./store.ts";

const BLOBS = "blobs";
const SIZES = "blob-sizes";
const MANIFESTS = "manifests";
const TAGS = "tags";

interface TagRecord {
  repository: string;
  tag: string;
  digest: Digest;
}

function done(req: IDBRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
    tx.onerror = () => reject(tx.error);
  });
}

export class IdbStore implements RegistryStore {
  private constructor(private readonly db: IDBDatabase) {}

  static open(
    name = "docker-sandbox-registry",
    factory: IDBFactory = indexedDB,
  ): Promise<IdbStore> {
    return new Promise((resolve, reject) => {
      const req = factory.open(name, 1);
      req.onupgradeneeded = () => {
        const db = req.result;
        db.createObjectStore(BLOBS);
        db.createObjectStore(SIZES);
        db.createObjectStore(MANIFESTS);
        const tags = db.createObjectStore(TAGS, { keyPath: ["repository", "tag"] });
        tags.createIndex("repository", "repository");
      };
      req.onsuccess = () => resolve(new IdbStore(req.result));
      req.onerror = () => reject(req.error);
    });
  }

  close(): void {
    this.db.close();
  }

  private async get<T>(store: string, key: IDBValidKey): Promise<T | undefined> {
    const tx = this.db.transaction(store, "readonly");
    return (await done(tx.objectStore(store).get(key))) as T | undefined;
  }

  private async write(stores: string[], fill: (tx: IDBTransaction) => void, what: string) {
    try {
      const tx = this.db.transaction(stores, "readwrite");
      fill(tx);
      await committed(tx);
    } catch (e) {
      if (isQuotaError(e))
        throw new StorageFullError(`the browser's storage quota is full (${what})`);
      throw e;
    }
  }

  getBlob(d: Digest) {
    return this.get<Uint8Array>(BLOBS, d);
  }
  blobSize(d: Digest) {
    return this.get<number>(SIZES, d);
  }
  putBlob(d: Digest, bytes: Uint8Array) {
    return this.write(
      [BLOBS, SIZES],
      (tx) => {
        tx.objectStore(BLOBS).put(bytes, d);
        tx.objectStore(SIZES).put(bytes.length, d);
      },
      `${bytes.length} bytes for ${d}`,
    );
  }
  getManifest(d: Digest) {
    return this.get<StoredManifest>(MANIFESTS, d);
  }
  putManifest(d: Digest, m: StoredManifest) {
    return this.write([MANIFESTS], (tx) => tx.objectStore(MANIFESTS).put(m, d), `manifest ${d}`);
  }
  async getTag(repository: string, tag: string) {
    return (await this.get<TagRecord>(TAGS, [repository, tag]))?.digest;
  }
  putTag(repository: string, tag: string, digest: Digest) {
    const rec: TagRecord = { repository, tag, digest };
    return this.write([TAGS], (tx) => tx.objectStore(TAGS).put(rec), `tag ${repository}:${tag}`);
  }
  async listTags(repository: string) {
    const tx = this.db.transaction(TAGS, "readonly");
    const recs = (await done(
      tx.objectStore(TAGS).index("repository").getAll(repository),
    )) as TagRecord[];
    return recs.map((r) => r.tag).sort();
  }
  async listRepositories() {
    const tx = this.db.transaction(TAGS, "readonly");
    const recs = (await done(tx.objectStore(TAGS).getAll())) as TagRecord[];
    return [...new Set(recs.map((r) => r.repository))].sort();
  }
}
