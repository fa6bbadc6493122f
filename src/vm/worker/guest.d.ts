// The guest build's manifests, inlined into the bundle by scripts/serve.mjs (guestPlugin), so a
// warm start knows the current hashes without asking the network.
declare module "virtual:guest" {
  import type { GuestManifest, StateManifest } from "../protocol.ts";

  /** Extra fields the state build may add beside the StateManifest ones. */
  export interface StateManifestExtras {
    /** Blocks the first commands read, as one compressed stream beside the state. */
    hotFile?: string;
    hotBytes?: number;
    hotChunkBytes?: number;
  }

  export const guest: GuestManifest | null;
  export const state: (StateManifest & StateManifestExtras) | null;
}
