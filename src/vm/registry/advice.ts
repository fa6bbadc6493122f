// What to tell a learner when dockerd asked the registry for an image that is not bundled.
// The registry notices the 404 itself (no command parsing); the app shows this beside
// dockerd's own error.
import type { BundledIndex } from "./bundled.ts";

export interface MissingImage {
  /** As dockerd asked for it: "library/ubuntu". */
  repository: string;
  /** Tag or digest. */
  reference: string;
}

export interface MissingImageAdvice extends MissingImage {
  /** Short name as a learner types it: "ubuntu". */
  name: string;
  /** Bundled images, "name:tag". */
  available: string[];
  /** The bundled image closest to what was asked for, if any. */
  closest?: string;
  /** When the repository exists but not this tag: its tags. */
  knownTags?: string[];
  /** One paragraph in plain English. */
  message: string;
}

/** Distributions and images people reach for, mapped to what this sandbox has. */
const NEAREST: Record<string, string> = {
  ubuntu: "debian",
  centos: "debian",
  fedora: "debian",
  rockylinux: "debian",
  almalinux: "debian",
  amazonlinux: "debian",
  oraclelinux: "debian",
  archlinux: "debian",
  opensuse: "debian",
  alpine: "busybox",
  apache: "httpd",
  apache2: "httpd",
  "docker/whalesay": "whalesay",
  "docker/getting-started": "nginx",
  "training/webapp": "httpd",
};

export function missingImageAdvice(
  missing: MissingImage,
  index: BundledIndex | undefined,
): MissingImageAdvice {
  const name = missing.repository.replace(/^library\//, "");
  const repos = index?.repositories ?? {};
  const available = Object.entries(repos).flatMap(([repo, r]) =>
    Object.keys(r.tags).map((t) => `${repo.replace(/^library\//, "")}:${t}`),
  );
  const shortNames = Object.keys(repos).map((r) => r.replace(/^library\//, ""));
  const entry = repos[missing.repository] ?? repos[`library/${name}`];
  const list = shortNames.join(", ");
  if (entry) {
    const knownTags = Object.keys(entry.tags).sort();
    return {
      ...missing,
      name,
      available,
      knownTags,
      closest: `${name}:${knownTags.includes("latest") ? "latest" : knownTags[0]}`,
      message:
        `This sandbox works offline with a few bundled images. ${name} is one of them, but not ` +
        `with the tag "${missing.reference}": try ${knownTags.map((t) => `${name}:${t}`).join(", ")}.`,
    };
  }
  const base = name.split("/").pop() ?? name;
  let closest = NEAREST[name] ?? NEAREST[base];
  if (!closest) closest = shortNames.find((s) => s.includes(base) || base.includes(s));
  if (closest && !shortNames.includes(closest)) closest = undefined;
  const hint = closest
    ? ` The closest one here is \`${closest}\` (try \`docker run -it ${closest}\`).`
    : "";
  return {
    ...missing,
    name,
    available,
    closest,
    message:
      `"${name}:${missing.reference}" is not available: this sandbox runs without the internet, ` +
      `from a registry inside this page that holds only these images: ${list}. The emulated ` +
      `machine is a 32-bit x86 PC, so only 32-bit x86 (i386) images could run here anyway.${hint}`,
  };
}
