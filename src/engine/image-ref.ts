// Image references the way Docker reads them: `nginx` is docker.io/library/nginx:latest.
// Lessons compare what a learner typed with what a check asks for, so both are normalised.

export interface ImageRef {
  /** e.g. "docker.io", "registry.local:5000". */
  registry: string;
  /** e.g. "library/nginx", "docker/whalesay", "my_game". */
  repository: string;
  tag: string;
  digest?: string;
}

export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag = "latest";
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  let registry = "docker.io";
  const first = rest.split("/")[0] ?? "";
  if (rest.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = first;
    rest = rest.slice(first.length + 1);
  }
  if (registry === "index.docker.io") registry = "docker.io";
  if (registry === "docker.io" && !rest.includes("/")) rest = `library/${rest}`;
  return { registry, repository: rest.toLowerCase(), tag, digest };
}

/** The full name: docker.io/library/nginx:latest. */
export function canonicalRef(ref: string): string {
  const r = parseImageRef(ref);
  return `${r.registry}/${r.repository}:${r.tag}${r.digest ? `@${r.digest}` : ""}`;
}

/** The short name Docker prints: nginx:latest, docker/whalesay:latest, registry.local:5000/a:1. */
export function familiarRef(ref: string): string {
  const r = parseImageRef(ref);
  let name =
    r.registry === "docker.io"
      ? r.repository.replace(/^library\//, "")
      : `${r.registry}/${r.repository}`;
  name += `:${r.tag}`;
  return r.digest ? `${name}@${r.digest}` : name;
}

export function sameImageRef(a: string, b: string): boolean {
  return canonicalRef(a) === canonicalRef(b);
}

/** The repository part alone, e.g. `nginx` or `registry.local:5000/my_game`. */
export function familiarRepository(ref: string): string {
  return familiarRef(ref)
    .replace(/@.*$/, "")
    .replace(/:[^:/]*$/, "");
}
