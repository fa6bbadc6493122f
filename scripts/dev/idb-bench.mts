// Dev: IndexedDB read latency in Chromium for the disk store's access patterns (16 KiB chunks):
// n gets in one transaction versus one getAll over a key range.
// Usage: npm run build && npx tsx scripts/dev/idb-bench.mts
import { openBrowser, serveApp } from "../../test/e2e/harness.ts";

const BENCH = `(async () => {
  const db = await new Promise((res, rej) => {
    const q = indexedDB.open("bench", 1);
    q.onupgradeneeded = () => q.result.createObjectStore("c");
    q.onsuccess = () => res(q.result);
    q.onerror = () => rej(q.error);
  });
  const N = 4096;
  const tx = db.transaction("c", "readwrite");
  for (let i = 0; i < N; i++) {
    const v = new Uint8Array(16384); v.fill(i & 255);
    tx.objectStore("c").put(v, i);
  }
  await new Promise((r) => (tx.oncomplete = r));
  const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  const out = {};
  for (const n of [1, 16, 64, 256]) {
    let t = performance.now();
    for (let k = 0; k < 40; k++) {
      const base = (k * 97) % (N - 256);
      const st = db.transaction("c").objectStore("c");
      await Promise.all(Array.from({ length: n }, (_, i) => req(st.get(base + i))));
    }
    out["getMany" + n] = +((performance.now() - t) / 40).toFixed(2);
    t = performance.now();
    for (let k = 0; k < 40; k++) {
      const base = (k * 89) % (N - 256);
      await req(db.transaction("c").objectStore("c").getAll(IDBKeyRange.bound(base, base + n - 1)));
    }
    out["getAll" + n] = +((performance.now() - t) / 40).toFixed(2);
  }
  return out;
})()`;

const server = await serveApp();
const session = await openBrowser();
try {
  await session.page.goto(server.url + "/manifest.webmanifest");
  console.log(await session.page.evaluate(BENCH));
} finally {
  await session.close();
  await server.close();
}
