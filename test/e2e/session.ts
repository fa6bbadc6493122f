// One app server and one fresh browser profile for a whole test file: opened before its first
// test, closed after its last. Kept apart from harness.ts, which the benchmark also imports
// outside vitest.
import { afterAll, beforeAll } from "vitest";
import { openBrowser, serveApp, type AppServer, type BrowserSession } from "./harness.ts";

export interface AppSession {
  readonly server: AppServer;
  readonly browser: BrowserSession;
}

export function appSession(
  options: Parameters<typeof openBrowser>[0] = {},
  cut?: Parameters<typeof serveApp>[1],
): AppSession {
  let server: AppServer | undefined;
  let browser: BrowserSession | undefined;
  beforeAll(async () => {
    server = await serveApp({}, cut);
    browser = await openBrowser(options);
  });
  afterAll(async () => {
    await browser?.context.setOffline(false).catch(() => {});
    await browser?.close();
    await server?.close();
  });
  const opened = <T>(value: T | undefined, what: string): T => {
    if (!value) throw new Error(`the ${what} is not open yet (use it inside a test)`);
    return value;
  };
  return {
    get server() {
      return opened(server, "app server");
    },
    get browser() {
      return opened(browser, "browser");
    },
  };
}
