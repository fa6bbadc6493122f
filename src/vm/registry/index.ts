export {
  Registry,
  MEDIA_TYPES,
  type RegistryRequest,
  type RegistryResponse,
  type RegistryOptions,
} from "./registry.ts";
export { MemoryStore, type RegistryStore, type StoredManifest } from "./store.ts";
export { IdbStore } from "./idb-store.ts";
export { FsStore, type FsPromises } from "./fs-store.ts";
export {
  httpBlobFetcher,
  fileBlobFetcher,
  type BundledImages,
  type BundledIndex,
  type BlobFetcher,
} from "./bundled.ts";
export {
  serveRegistry,
  serveConnection,
  REGISTRY_PORT,
  type V86Bus,
  type ServeOptions,
} from "./server.ts";
export { RegistryError, StorageFullError } from "./errors.ts";
export { sha256Digest, isDigest, type Digest } from "./digest.ts";
export {
  attachRegistry,
  attachBrowserRegistry,
  loadBundledIndex,
  checkIndex,
  type AttachOptions,
} from "./attach.ts";
export { missingImageAdvice, type MissingImage, type MissingImageAdvice } from "./advice.ts";
