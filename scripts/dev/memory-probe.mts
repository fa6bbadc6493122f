// Dev: where the tab's memory goes after a warm start and a first `docker run`: renderer RSS,
// and per JavaScript context (page, workers) the JS heap and ArrayBuffer/wasm backing stores
// (CDP Runtime.getHeapUsage). Usage: npm run build && npx tsx scripts/dev/memory-probe.mts
import type { CDPSession } from "playwright-core";
import { openBrowser, serveApp, typeCommand, waitForText } from "../../test/e2e/harness.ts";

const server = await serveApp();
const session = await openBrowser();
const { page, context } = session;
const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MB`;

async function usage(label: string) {
  const cdp: CDPSession = await context.newCDPSession(page);
  const { targetInfos } = await cdp.send("Target.getTargets");
  console.log(`--- ${label}: renderer RSS ${session.rendererRssMb()} MB`);
  const report = async (name: string, send: (m: string) => Promise<unknown>) => {
    const u = (await send("Runtime.getHeapUsage")) as Record<string, number>;
    console.log(
      `${name}: JS heap ${mb(u.usedSize!)} of ${mb(u.totalSize!)}, backing stores ${mb(u.backingStorageSize ?? 0)}, embedder ${mb(u.embedderHeapUsedSize ?? 0)}`,
    );
  };
  await report("page", (m) => cdp.send(m as "Runtime.getHeapUsage"));
  let next = 1;
  const waiting = new Map<number, (r: unknown) => void>();
  cdp.on("Target.receivedMessageFromTarget", (e: { message: string }) => {
    const m = JSON.parse(e.message) as { id?: number; result?: unknown };
    if (m.id !== undefined) waiting.get(m.id)?.(m.result);
  });
  for (const t of targetInfos.filter((t) => t.type === "worker")) {
    const { sessionId } = await cdp.send("Target.attachToTarget", {
      targetId: t.targetId,
      flatten: false,
    });
    const send = (method: string) =>
      new Promise<unknown>((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        void cdp.send("Target.sendMessageToTarget", {
          sessionId,
          message: JSON.stringify({ id, method, params: {} }),
        });
      });
    await report(`worker ${t.url.split("/").pop()}`, send);
  }
  await cdp.detach();
}

try {
  await page.goto(server.url);
  await page.waitForSelector('[data-offline="ready"]', { timeout: 900_000 });
  await page.reload();
  await waitForText(page, 1, /:~#\s*$/, 120_000);
  await usage("warm start, prompt");
  await typeCommand(page, 1, "docker run --rm hello-world");
  await waitForText(page, 1, /Hello from Docker[^]*:~#\s*$/, 300_000);
  await usage("after the first docker run");
} finally {
  await session.close();
  await server.close();
}
