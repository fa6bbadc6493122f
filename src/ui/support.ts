/** What the page needs from the browser; checked before anything else loads. */
export interface Support {
  wasm: boolean;
  worker: boolean;
  storage: boolean;
}

export function supported(support: Support): boolean {
  return support.wasm && support.worker && support.storage;
}

/** Opening a throwaway IndexedDB database is the only reliable probe: private modes fail it. */
export async function probeSupport(scope: typeof globalThis = globalThis): Promise<Support> {
  const wasm =
    typeof scope.WebAssembly === "object" &&
    typeof scope.WebAssembly.instantiate === "function" &&
    (() => {
      try {
        // The smallest valid module: magic + version.
        return (
          new scope.WebAssembly.Module(Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0)) instanceof
          scope.WebAssembly.Module
        );
      } catch {
        return false;
      }
    })();
  const worker = typeof scope.Worker === "function";
  return { wasm, worker, storage: await probeIndexedDb(scope) };
}

function probeIndexedDb(scope: typeof globalThis): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      if (!scope.indexedDB) return resolve(false);
      const request = scope.indexedDB.open("docker-sandbox-probe");
      request.onsuccess = () => {
        request.result.close();
        resolve(true);
      };
      request.onerror = () => resolve(false);
      request.onblocked = () => resolve(true);
    } catch {
      resolve(false);
    }
  });
}
