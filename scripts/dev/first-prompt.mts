// Dev: on a first (cold) visit, how long after Ready each terminal shows its shell prompt, and
// what the worker's timeline says meanwhile. Usage: npm run build &&
//   flock /tmp/v86.lock npx tsx scripts/dev/first-prompt.mts
import {
  PROMPT,
  openBrowser,
  serveApp,
  terminalText,
  waitForPhase,
} from "../../test/e2e/harness.ts";

const server = await serveApp();
const session = await openBrowser();
const { page } = session;
let t0 = Date.now();
page.on("console", (m) => {
  if (m.text().startsWith("[machine]")) console.log(`${Date.now() - t0} ms page: ${m.text()}`);
});
try {
  t0 = Date.now();
  await page.goto(server.url);
  await waitForPhase(page, "ready", 180_000);
  const ready = Date.now();
  console.log(`ready at ${ready - t0} ms`);
  const snapshot = async (label: string) => {
    const ps = await page.evaluate(() =>
      (
        globalThis as unknown as {
          sandbox: { machine: { agent(r: object): Promise<{ stdout?: string; error?: string }> } };
        }
      ).sandbox.machine.agent({
        op: "exec",
        argv: [
          "sh",
          "-c",
          "head -1 /proc/stat; cat /proc/uptime; ps -eo pid,stat,time,etime,wchan:22,args --sort=-time | head -25; for n in 1 2; do stty -F /dev/ttyS$n size; done",
        ],
      }),
    );
    console.log(
      `${label}: guest at ${Date.now() - ready} ms after Ready:\n${ps.stdout ?? ps.error}`,
    );
  };
  await snapshot("at Ready");
  const seen = new Set<number>();
  while (seen.size < 2 && Date.now() - ready < 180_000) {
    for (const port of [1, 2]) {
      if (seen.has(port)) continue;
      const text = await terminalText(page, port);
      if (PROMPT.test(text)) {
        seen.add(port);
        console.log(`terminal ${port}: prompt ${Date.now() - ready} ms after Ready`);
      }
    }
    await page.waitForTimeout(250);
  }
  for (const port of [1, 2])
    if (!seen.has(port))
      console.log(`terminal ${port} after 180 s:\n${await terminalText(page, port)}`);
  await snapshot("after the prompts");
} finally {
  await session.close();
  await server.close();
}
process.exit(0);
