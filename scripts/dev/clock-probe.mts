// Dev: does the guest's clock keep up with the wall clock in the page? Samples the guest's
// uptime through the agent after Ready (first visit, then a warm reload) and times a CPU-bound
// shell loop by both clocks. Usage: npm run build && npx tsx scripts/dev/clock-probe.mts
import { openBrowser, serveApp, waitForPhase } from "../../test/e2e/harness.ts";

const server = await serveApp();
const session = await openBrowser();
const { page } = session;
let t0 = Date.now();
let warmedUp = 0;
page.on("console", (m) => {
  if (m.text().startsWith("[machine] warm-up")) warmedUp++;
  if (m.text().startsWith("[machine]") && !m.text().startsWith("[machine] command"))
    console.log(`${Date.now() - t0} ms page: ${m.text()}`);
});
const exec = (script: string) =>
  page.evaluate(
    (s) =>
      (
        globalThis as unknown as {
          sandbox: {
            machine: { agent(r: object): Promise<{ stdout?: string; error?: string }> };
          };
        }
      ).sandbox.machine.agent({ op: "exec", argv: ["sh", "-c", s] }),
    script,
  );
async function sample(label: string, seconds: number) {
  const ready = Date.now();
  let first: { wall: number; up: number } | undefined;
  while (Date.now() - ready < seconds * 1000) {
    const r = await exec("cut -d' ' -f1 /proc/uptime");
    const wall = (Date.now() - ready) / 1000;
    const up = Number(r.stdout?.trim());
    first ??= { wall, up };
    console.log(
      `${label} wall ${wall.toFixed(1)} s  guest uptime ${up.toFixed(1)}  ` +
        `(guest +${(up - first.up).toFixed(1)} s over wall +${(wall - first.wall).toFixed(1)} s)`,
    );
    await page.waitForTimeout(3000);
  }
  await loop(label);
  const seen = warmedUp;
  while (warmedUp === seen) await page.waitForTimeout(500);
  for (let n = 0; n < 3; n++) await loop(`${label} after the warm-up`);
}
async function loop(label: string) {
  const w = Date.now();
  const r = await exec(
    "a=$(cut -d' ' -f1 /proc/uptime); i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; " +
      "b=$(cut -d' ' -f1 /proc/uptime); echo $a $b",
  );
  const [a, b] = (r.stdout ?? "0 0").trim().split(" ").map(Number);
  console.log(`${label} loop: wall ${Date.now() - w} ms, guest ${Math.round((b - a) * 1000)} ms`);
}
try {
  t0 = Date.now();
  await page.goto(server.url);
  await waitForPhase(page, "ready", 180_000);
  console.log(`first visit ready at ${Date.now() - t0} ms`);
  await sample("first", Number(process.env.SECONDS ?? 60));
  await page.waitForSelector('[data-offline="ready"]', { timeout: 900_000 });
  t0 = Date.now();
  await page.reload();
  await waitForPhase(page, "ready", 180_000);
  console.log(`warm visit ready at ${Date.now() - t0} ms`);
  await sample("warm", Number(process.env.SECONDS ?? 60));
} finally {
  await session.close();
  await server.close();
}
process.exit(0);
