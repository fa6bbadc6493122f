// Registry errors in the Docker Registry HTTP API v2 shape: {"errors":[{code,message,detail}]}.
// dockerd prints `code: message` to the learner, so messages are written for them.

export type RegistryErrorCode =
  | "BLOB_UNKNOWN"
  | "BLOB_UPLOAD_INVALID"
  | "BLOB_UPLOAD_UNKNOWN"
  | "DIGEST_INVALID"
  | "MANIFEST_BLOB_UNKNOWN"
  | "MANIFEST_INVALID"
  | "MANIFEST_UNKNOWN"
  | "NAME_INVALID"
  | "NAME_UNKNOWN"
  | "SIZE_INVALID"
  | "RANGE_INVALID"
  | "UNSUPPORTED"
  | "DENIED"
  | "UNKNOWN";

export class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly code: RegistryErrorCode,
    message: string,
    readonly detail?: unknown,
    /** Extra response headers, e.g. Content-Range on 416. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "RegistryError";
  }
}

/** Thrown by a RegistryStore when the browser (or disk) refuses to keep more bytes. */
export class StorageFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StorageFullError";
  }
}

export function isQuotaError(e: unknown): boolean {
  if (e instanceof StorageFullError) return true;
  const name = (e as { name?: string } | null)?.name;
  return (
    name === "QuotaExceededError" ||
    name === "ENOSPC" ||
    (e as { code?: string })?.code === "ENOSPC"
  );
}
