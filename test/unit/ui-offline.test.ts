// The offline app (issue 9 §4, §6): which requests the service worker answers, how the page
// registers it and announces a waiting update, and the storage panel's figures and clean-up.
// The real browser path (offline reload, real guest) is test/e2e/offline.test.ts.
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { SKIP_WAITING, isAppNavigation, navigationDenylist } from "../../src/sw/routes.ts";
import {
  AppUpdate,
  dropPreviewOnlyWorker,
  workerScript,
  type WorkerContainer,
} from "../../src/ui/service-worker.svelte.ts";
import { StorageUse, diskChunkBytes, splitUsage } from "../../src/ui/storage.svelte.ts";
import { IdbStore } from "../../src/vm/registry/idb-store.ts";

describe("service worker routes", () => {
  it("gives navigations inside the app the app shell, never guest files, blobs or previews", () => {
    expect(isAppNavigation("/", "/")).toBe(true);
    expect(isAppNavigation("/lessons/first-container", "/")).toBe(true);
    expect(isAppNavigation("/vm/guest/rootfs.img", "/")).toBe(false);
    expect(isAppNavigation("/images/blobs/sha256/ab", "/")).toBe(false);
    expect(isAppNavigation("/preview/8080/", "/")).toBe(false);
  });

  it("honours a base path, escaping it", () => {
    expect(isAppNavigation("/sandbox/", "/sandbox/")).toBe(true);
    expect(isAppNavigation("/sandbox/preview/80/", "/sandbox/")).toBe(false);
    expect(isAppNavigation("/other/", "/sandbox/")).toBe(false);
    expect(navigationDenylist("/a.b/")[0]!.test("/aXb/vm/x")).toBe(false);
  });

  it("registers the app worker in a build and only the preview route under vite dev", () => {
    expect(workerScript(true, "/")).toEqual({ url: "/app-sw.js", scope: "/" });
    expect(workerScript(false, "/x/")).toEqual({ url: "/x/preview-sw.js", scope: "/x/preview/" });
  });

  it("unregisters the preview-only worker of earlier versions, and nothing else", async () => {
    const unregistered: string[] = [];
    const reg = (scope: string) =>
      ({ scope, unregister: async () => (unregistered.push(scope), true) }) as never;
    const container = {
      getRegistrations: async () => [reg("https://h/preview/"), reg("https://h/")],
    } as unknown as WorkerContainer;
    await dropPreviewOnlyWorker(container, "https://h/");
    expect(unregistered).toEqual(["https://h/preview/"]);
  });
});

/** A registration and container as the browser drives them, with the events tests fire. */
function fakes(options: { controlled: boolean; waiting?: boolean }) {
  const posted: unknown[] = [];
  const worker = (state: string) =>
    Object.assign(new EventTarget(), {
      state,
      postMessage: (m: unknown) => posted.push(m),
    });
  const registration = Object.assign(new EventTarget(), {
    waiting: options.waiting ? worker("installed") : null,
    installing: null as ReturnType<typeof worker> | null,
    update: async () => {},
  });
  const container = Object.assign(new EventTarget(), {
    controller: options.controlled ? {} : null,
  });
  return {
    posted,
    registration,
    container: container as unknown as WorkerContainer,
    fireControllerChange: () => container.dispatchEvent(new Event("controllerchange")),
    /** A new version is found and finishes installing. */
    install() {
      const w = worker("installing");
      registration.installing = w;
      registration.dispatchEvent(new Event("updatefound"));
      w.state = "installed";
      registration.installing = null;
      registration.waiting = w;
      w.dispatchEvent(new Event("statechange"));
    },
  };
}

describe("AppUpdate", () => {
  it("says nothing on the first install (no worker controlled the page)", async () => {
    const f = fakes({ controlled: false });
    const update = new AppUpdate(Promise.resolve(f.registration as never), {
      container: f.container,
      checkEveryMs: 0,
    });
    await update.watching;
    f.install();
    expect(update.available).toBe(false);
    update.dispose();
  });

  it("announces a new version, and reloads only after it takes over", async () => {
    const f = fakes({ controlled: true });
    let reloads = 0;
    const update = new AppUpdate(Promise.resolve(f.registration as never), {
      container: f.container,
      reload: () => reloads++,
      checkEveryMs: 0,
    });
    await update.watching;
    expect(update.available).toBe(false);
    f.install();
    expect(update.available).toBe(true);

    update.apply();
    expect(f.posted).toEqual([{ type: SKIP_WAITING }]);
    expect(update.applying).toBe(true);
    expect(reloads).toBe(0);
    f.fireControllerChange();
    expect(reloads).toBe(1);
    update.dispose();
  });

  it("finds a version that was already waiting from an earlier visit", async () => {
    const f = fakes({ controlled: true, waiting: true });
    const update = new AppUpdate(Promise.resolve(f.registration as never), {
      container: f.container,
      checkEveryMs: 0,
    });
    await update.watching;
    expect(update.available).toBe(true);
    update.dismiss();
    expect(update.available).toBe(false);
    update.dispose();
  });

  it("stays quiet when the browser refuses service workers", async () => {
    const update = new AppUpdate(Promise.reject(new Error("refused")), { checkEveryMs: 0 });
    await update.watching;
    expect(update.available).toBe(false);
  });
});

/** Creates a database with one store and records in it, then closes it (as a closed worker). */
function makeDb(
  idb: IDBFactory,
  name: string,
  store: string,
  records: [IDBValidKey, unknown][],
): Promise<void> {
  return new Promise((resolve, reject) => {
    const open = idb.open(name, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(store);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction(store, "readwrite");
      for (const [key, value] of records) tx.objectStore(store).put(value, key);
      tx.oncomplete = () => {
        db.close();
        resolve();
      };
    };
  });
}

async function names(idb: IDBFactory): Promise<string[]> {
  return (await idb.databases()).map((d) => d.name ?? "").sort();
}

describe("StorageUse", () => {
  it("splits the browser's total into disk, images, app files and the rest", () => {
    expect(splitUsage(100, { disk: 60, images: 10, app: 5 })).toEqual({
      disk: 60,
      images: 10,
      app: 5,
      other: 25,
    });
    // Estimates are rounded by browsers: never a negative remainder.
    expect(splitUsage(50, { disk: 60 }).other).toBe(0);
    expect(diskChunkBytes("docker-sandbox-disk-0123abcd-16384")).toBe(16384);
    expect(diskChunkBytes("docker-sandbox-disk-old")).toBeUndefined();
  });

  it("measures the caches by counting, and clearing them keeps lesson progress", async () => {
    const idb = new IDBFactory();
    await makeDb(idb, "docker-sandbox-state", "states", [["state:abc", new Uint8Array(1000)]]);
    await makeDb(idb, "docker-sandbox-disk-abc-16384", "chunks", [
      [0, new Uint8Array(16384)],
      [7, new Uint8Array(16384)],
      [9, new Uint8Array(16384)],
    ]);
    const registry = await IdbStore.open("docker-sandbox-registry", idb);
    await registry.putBlob(`sha256:${"1".repeat(64)}`, new Uint8Array(5000));
    await registry.putBlob(`sha256:${"2".repeat(64)}`, new Uint8Array(2000));
    registry.close();
    await makeDb(idb, "docker-sandbox-progress", "lessons", [["first-container", { step: 2 }]]);

    let persistAsked = 0;
    const storage = new StorageUse({
      indexedDB: idb,
      storage: {
        estimate: async () =>
          ({ usage: 200_000, quota: 1_000_000, usageDetails: { caches: 30_000 } }) as never,
        persisted: async () => false,
        persist: async () => (persistAsked++, true),
      },
    });
    await storage.refresh();
    expect(storage.usage).toBe(200_000);
    expect(storage.quota).toBe(1_000_000);
    expect(storage.parts).toEqual({
      disk: 3 * 16384,
      images: 7000,
      app: 30_000,
      other: 200_000 - 3 * 16384 - 7000 - 30_000,
    });
    expect(storage.nearlyFull).toBe(false);
    expect(storage.persisted).toBe(false);
    expect(await storage.persist()).toBe(true);
    expect(persistAsked).toBe(1);

    let stopped = 0;
    await storage.clearCachedData(() => void stopped++);
    expect(stopped).toBe(1);
    expect(storage.error).toBeUndefined();
    expect(await names(idb)).toEqual(["docker-sandbox-progress"]);
  });

  it("warns when the quota is nearly used up, and reading never creates a database", async () => {
    const idb = new IDBFactory();
    const storage = new StorageUse({
      indexedDB: idb,
      storage: {
        estimate: async () => ({ usage: 95, quota: 100 }),
        persisted: async () => true,
        persist: async () => true,
      },
    });
    await storage.refresh();
    expect(storage.nearlyFull).toBe(true);
    expect(storage.parts).toEqual({
      disk: undefined,
      images: undefined,
      app: undefined,
      other: 95,
    });
    expect(await names(idb)).toEqual([]);
  });

  it("names a database another tab keeps open instead of pretending it was deleted", async () => {
    const idb = new IDBFactory();
    await makeDb(idb, "docker-sandbox-state", "states", [["k", 1]]);
    // Another tab's connection that ignores versionchange (idb-keyval does not close on it).
    const held = await new Promise<IDBDatabase>((resolve) => {
      const open = idb.open("docker-sandbox-state");
      open.onsuccess = () => resolve(open.result);
    });
    const storage = new StorageUse({ indexedDB: idb, blockedGiveUpMs: 100 });
    await storage.clearCachedData(() => {});
    expect(storage.error).toContain("docker-sandbox-state");
    held.close();
  });
});
