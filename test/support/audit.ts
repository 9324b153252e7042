// The API server's audit log (a cluster started with `auditLog: true`): who
// wrote which object when, as the server saw it, independent of any client's
// own account of what it did.
import { readFileSync } from "node:fs";

export interface AuditEvent {
  verb: string;
  user: { username: string; uid?: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  /** RFC 3339 with microseconds. */
  requestReceivedTimestamp: string;
}

export function readAuditLog(path: string): AuditEvent[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as AuditEvent);
}

/** Successful writes (update or patch, subresources included) to pods of `namespace`, in the order the server received them. */
export function podWrites(events: readonly AuditEvent[], namespace: string): AuditEvent[] {
  return events
    .filter((e) => e.objectRef?.resource === "pods" && e.objectRef.namespace === namespace)
    .filter((e) => (e.verb === "patch" || e.verb === "update") && (e.responseStatus?.code ?? 0) < 300)
    .sort((a, b) => a.requestReceivedTimestamp.localeCompare(b.requestReceivedTimestamp));
}
