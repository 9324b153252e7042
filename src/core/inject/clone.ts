// Copies of plain JSON values. Sidecar containers are copied out of the
// SidecarSet before they are changed, so the informer's cached objects are
// never aliased into a pod; a hand-written walk is several times faster than
// structuredClone on these small objects.
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const k in value) {
    if (Object.prototype.hasOwnProperty.call(value, k)) out[k] = cloneJson((value as Record<string, unknown>)[k]);
  }
  return out as T;
}
