// The page's one service worker: in a build, the app's (src/sw/app-sw.ts: the offline app shell
// plus the preview route); under `vite` dev, only the preview route (public/preview-sw.js).
// Also the "Update available — reload" state: a new version waits until the learner accepts it.
import { SKIP_WAITING } from "../sw/routes.ts";

// Through a cast: Node's type check of the unit tests has no Vite `import.meta.env` types.
const APP_BASE = (import.meta as { env?: { BASE_URL?: string } }).env?.BASE_URL ?? "/";

// Set by vite.config.ts: true in a build, which has the app's service worker (app-sw.js).
declare const __APP_SERVICE_WORKER__: boolean | undefined;
const BUILT_WITH_APP_WORKER =
  typeof __APP_SERVICE_WORKER__ !== "undefined" && __APP_SERVICE_WORKER__ === true;

/** The parts of ServiceWorkerContainer used here, so tests can hand in a fake. */
export type WorkerContainer = Pick<
  ServiceWorkerContainer,
  "register" | "getRegistrations" | "controller" | "addEventListener" | "removeEventListener"
>;

/** Which script to register, and on which scope. */
export function workerScript(production: boolean, base = APP_BASE): { url: string; scope: string } {
  return production
    ? { url: `${base}app-sw.js`, scope: base }
    : { url: `${base}preview-sw.js`, scope: `${base}preview/` };
}

let registering: Promise<ServiceWorkerRegistration> | undefined;

/**
 * Registers the page's service worker once; every caller (the preview, the update notice) shares
 * the registration. Rejects when the browser has no service workers or refuses them.
 */
export function serviceWorker(
  container: WorkerContainer | undefined = globalThis.navigator?.serviceWorker,
  production = BUILT_WITH_APP_WORKER,
): Promise<ServiceWorkerRegistration> {
  registering ??= register(container, production);
  return registering;
}

async function register(
  container: WorkerContainer | undefined,
  production: boolean,
): Promise<ServiceWorkerRegistration> {
  if (!container) throw new Error("This browser has no service workers.");
  const { url, scope } = workerScript(production);
  const registration = await container.register(url, { scope });
  if (production) await dropPreviewOnlyWorker(container, registration.scope);
  return registration;
}

/**
 * Earlier versions registered the preview route alone on `preview/`. A narrower scope wins, so
 * that worker would keep answering previews with old code: unregister it.
 */
export async function dropPreviewOnlyWorker(
  container: WorkerContainer,
  appScope: string,
): Promise<void> {
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local, not state
  const previewScope = new URL("preview/", appScope).href;
  for (const old of await container.getRegistrations().catch(() => []))
    if (old.scope === previewScope) await old.unregister().catch(() => false);
}

/** Forgets the shared registration (tests). */
export function resetServiceWorkerForTests(): void {
  registering = undefined;
}

/** How often an open page asks whether a new version was deployed. */
const CHECK_EVERY_MS = 60 * 60 * 1000;

/**
 * A new version of the app: installed in the background, waiting until the learner reloads.
 * The first install is not an update (nothing was controlling the page).
 */
export class AppUpdate {
  /** A new version is installed and waits. */
  available = $state(false);
  /** The learner accepted: the new version is taking over, the page reloads. */
  applying = $state(false);
  /** Resolves once the registration is known and watched (or known to be missing). */
  readonly watching: Promise<void>;

  #registration: ServiceWorkerRegistration | undefined;
  #container: WorkerContainer | undefined;
  #reload: () => void;
  #offs: (() => void)[] = [];
  #disposed = false;

  constructor(
    registration: Promise<ServiceWorkerRegistration>,
    options: {
      container?: WorkerContainer;
      reload?: () => void;
      checkEveryMs?: number;
    } = {},
  ) {
    this.#container = options.container ?? globalThis.navigator?.serviceWorker;
    this.#reload = options.reload ?? (() => globalThis.location.reload());
    const every = options.checkEveryMs ?? CHECK_EVERY_MS;
    this.watching = registration.then(
      (r) => {
        if (this.#disposed) return;
        this.#watch(r);
        if (every > 0) {
          const timer = setInterval(() => void r.update().catch(() => {}), every);
          this.#offs.push(() => clearInterval(timer));
        }
      },
      () => {
        // No service worker (dev server without one, private mode): no updates to announce.
      },
    );
  }

  /** Lets the waiting version take over; the page reloads once it controls it. */
  apply(): void {
    const waiting = this.#registration?.waiting;
    if (!waiting || !this.#container) return this.#reload();
    this.applying = true;
    const onChange = () => this.#reload();
    this.#container.addEventListener("controllerchange", onChange, { once: true });
    this.#offs.push(() => this.#container?.removeEventListener("controllerchange", onChange));
    waiting.postMessage({ type: SKIP_WAITING });
  }

  /** Hides the notice for this visit; the new version still waits for the next load. */
  dismiss(): void {
    this.available = false;
  }

  dispose(): void {
    this.#disposed = true;
    for (const off of this.#offs) off();
    this.#offs = [];
  }

  #watch(registration: ServiceWorkerRegistration): void {
    this.#registration = registration;
    // A version that finished installing on an earlier visit and still waits.
    if (registration.waiting && this.#container?.controller) this.available = true;
    const onFound = () => {
      const installing = registration.installing;
      if (!installing) return;
      const onState = () => {
        if (installing.state !== "installed") return;
        installing.removeEventListener("statechange", onState);
        if (this.#container?.controller && !this.#disposed) this.available = true;
      };
      installing.addEventListener("statechange", onState);
    };
    registration.addEventListener("updatefound", onFound);
    this.#offs.push(() => registration.removeEventListener("updatefound", onFound));
  }
}
