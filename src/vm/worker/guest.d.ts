// The guest build's manifests, inlined into the bundle by scripts/serve.mjs (guestPlugin), so a
// warm start knows the current hashes without asking the network.
declare module "virtual:guest" {
  import type { GuestManifest, StateManifest } from "../protocol.ts";

  export const guest: GuestManifest | null;
  export const state: StateManifest | null;
}
