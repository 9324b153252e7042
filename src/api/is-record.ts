// Decoded JSON is checked with this before its fields are read: an array or
// null where an object belongs is input to refuse, not to crash on.
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
