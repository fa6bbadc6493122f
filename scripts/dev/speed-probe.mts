// Dev: the same timed shell probes in the browser (warm visit, base state) and in Node, to tell
// guest CPU speed from disk-read cost. Usage: npm run build &&
//   flock /tmp/v86.lock npx tsx scripts/dev/speed-probe.mts [node|browser]
import { restoredMachine } from "../../src/vm/node.ts";
import {
  openBrowser,
  serveApp,
  terminalText,
  typeCommand,
  waitForText,
} from "../../test/e2e/harness.ts";

const PROBES = process.env.PROBES
  ? process.env.PROBES.split(";;")
  : [
      "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done",
      "docker ps >/dev/null",
      "docker ps >/dev/null",
      "cat /usr/bin/dockerd >/dev/null",
      "cat /usr/bin/dockerd >/dev/null",
      "cat /usr/bin/containerd >/dev/null",
    ];
const where = process.argv[2] ?? "browser";
if (where === "node") {
  const machine = restoredMachine();
  await machine.start();
  for (const probe of PROBES) {
    const t = performance.now();
    await machine.exec(["sh", "-c", probe], { timeoutMs: 300_000 });
    console.log(`node: ${Math.round(performance.now() - t)} ms  ${probe}`);
  }
  await machine.dispose();
} else {
  const server = await serveApp();
  const session = await openBrowser();
  const { page } = session;
  page.on("console", (m) => {
    if (m.text().startsWith("[machine] command") || m.text().startsWith("[prof]"))
      console.log(`  ${m.text()}`);
  });
  try {
    await page.goto(server.url);
    console.log("isolated:", await page.evaluate(() => crossOriginIsolated));
    if (!process.env.QUICK) {
      await page.waitForSelector('[data-offline="ready"]', { timeout: 900_000 });
      await page.reload();
    }
    await waitForText(page, 1, /:~#\s*$/, 120_000);
    let n = 0;
    for (const probe of PROBES) {
      const mark = `probe${++n}`;
      const t = Date.now();
      await typeCommand(page, 1, `${probe}; echo ${mark}''done`);
      await waitForText(page, 1, new RegExp(`${mark}done\\s*\\n[^]*:~#\\s*$`), 300_000);
      console.log(`browser: ${Date.now() - t} ms  ${probe}`);
    }
    if (process.env.PROBES) console.log(await terminalText(page, 1));
  } finally {
    await session.close();
    await server.close();
  }
}
process.exit(0);
