// Dev: where a warm start in the browser spends its time. Cold visit, wait for "Works offline",
// reload, then print the worker's start timeline ([machine] lines) and when `docker ps` answered.
// Usage: npm run build && flock /tmp/v86.lock npx tsx scripts/dev/warm-profile.mts
import { openBrowser, serveApp, typeCommand, waitForText } from "../../test/e2e/harness.ts";

const server = await serveApp();
const session = await openBrowser();
const { page } = session;
let navigated = 0;
page.on("console", (m) => {
  if (m.text().startsWith("[machine]"))
    console.log(`${Date.now() - navigated} ms page: ${m.text()}`);
});
try {
  navigated = Date.now();
  await page.goto(server.url);
  await page.waitForSelector('[data-offline="ready"]', { timeout: 900_000 });
  console.log(`works offline after ${Date.now() - navigated} ms`);
  for (const round of [1, 2]) {
    server.resetStats();
    navigated = Date.now();
    await page.reload();
    await waitForText(page, 1, /:~#\s*$/, 120_000);
    console.log(`warm ${round}: prompt at ${Date.now() - navigated} ms`);
    // The same command again and again: the first pays v86's cold JIT, the later ones do not.
    const timed = async (command: string, done: RegExp, times: number) => {
      for (let i = 1; i <= times; i++) {
        const started = Date.now();
        await typeCommand(page, 1, `clear; ${command}`);
        await waitForText(page, 1, done, 300_000);
        console.log(
          `warm ${round}: ${command} #${i} took ${Date.now() - started} ms, done at ${Date.now() - navigated} ms`,
        );
      }
    };
    await timed("docker ps", /CONTAINER ID[^]*:~#\s*$/, round === 1 ? 3 : 1);
    if (round === 1) await timed("docker run --rm hello-world", /Hello from Docker[^]*:~#\s*$/, 3);
    console.log(`warm ${round}: ${server.stats.requests} requests, ${server.stats.bytes} bytes`);
  }
} finally {
  await session.close();
  await server.close();
}
