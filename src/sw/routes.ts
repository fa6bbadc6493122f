// Which requests the app's service worker answers from its precache. Pure, so unit tests pin it.
//
// The guest's files (vm/) and the bundled image blobs (images/) are large and already kept in
// IndexedDB by the VM worker; the preview route (preview/) belongs to preview-sw.js. None of
// them may be answered with the app's index.html.

/** Folders under the app's base that are never the app shell. */
export const NOT_APP_SHELL = ["vm/", "images/", "preview/"] as const;

/** Navigation requests under these paths are not given index.html. */
export function navigationDenylist(base: string): RegExp[] {
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return NOT_APP_SHELL.map((folder) => new RegExp(`^${escaped}${folder}`));
}

/** True when a navigation to this path should get the app (index.html) from the precache. */
export function isAppNavigation(pathname: string, base: string): boolean {
  if (!pathname.startsWith(base)) return false;
  return !navigationDenylist(base).some((re) => re.test(pathname));
}

/** Message the page posts to a waiting worker when the learner accepts an update. */
export const SKIP_WAITING = "skip-waiting";
