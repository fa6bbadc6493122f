// Dev: the README's screenshot (docs/screenshot.png): lesson 2 open beside a terminal that ran
// `docker run hello-world` on the real engine.
// Usage: npm run build && flock /tmp/v86.lock npx tsx scripts/dev/screenshot.mts
import path from "node:path";
import {
  PROMPT,
  openBrowser,
  root,
  serveApp,
  typeCommand,
  waitForPhase,
  waitForText,
} from "../../test/e2e/harness.ts";

const server = await serveApp();
const session = await openBrowser({ width: 1280, height: 760 });
const { page } = session;
try {
  await page.goto(server.url);
  await waitForPhase(page, "ready", 300_000);
  await waitForText(page, 1, PROMPT, 60_000);
  const pane = '[data-testid="lesson-pane"]';
  await page.click(`${pane} button[data-lesson="first-container"]`);
  await typeCommand(page, 1, "docker run hello-world");
  await waitForText(page, 1, /Hello from Docker[\s\S]*\S+@\S+:[^\n]*#\s*$/, 300_000);
  await page.waitForSelector(`${pane} article[data-status="done"]`, { timeout: 60_000 });
  const file = path.join(root, "docs/screenshot.png");
  await page.screenshot({ path: file });
  console.log(`wrote ${file}`);
} finally {
  await session.close();
  await server.close();
}
