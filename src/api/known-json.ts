// JSON text written once for values that cannot change. A value given to
// `withKnownJson` is frozen, all the way down, and its text kept beside it;
// `knownJsonStringify` then writes that text where the value appears instead of
// encoding it again. The pod webhook's answers hold the same built sidecars
// pod after pod: their JSON is most of the patch (docs/benchmarks.md).

const texts = new WeakMap<object, string>();

function deepFreeze(value: unknown): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
}

/** Freezes `value` (every object and array it holds too) and keeps its JSON text. Returns `value`. */
export function withKnownJson<T extends object>(value: T): T {
  deepFreeze(value);
  texts.set(value, JSON.stringify(value));
  return value;
}

/** The kept JSON text of `value`, if it was given to `withKnownJson`. */
export function knownJson(value: unknown): string | undefined {
  return typeof value === "object" && value !== null ? texts.get(value) : undefined;
}

/**
 * `JSON.stringify(value)`, the same text, with the kept texts of known values
 * put in as they are. Objects and arrays are walked `depth` levels down to look
 * for them; below that, JSON.stringify does the rest.
 */
export function knownJsonStringify(value: unknown, depth: number): string | undefined {
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  const known = texts.get(value);
  if (known !== undefined) return known;
  if (depth <= 0 || typeof (value as { toJSON?: unknown }).toJSON === "function") return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      out += `${i > 0 ? "," : ""}${knownJsonStringify(value[i], depth - 1) ?? "null"}`;
    }
    return `${out}]`;
  }
  let out = "{";
  let first = true;
  for (const key of Object.keys(value)) {
    const text = knownJsonStringify((value as Record<string, unknown>)[key], depth - 1);
    // As JSON.stringify: a property whose value has no JSON (undefined, a function) is left out.
    if (text === undefined) continue;
    out += `${first ? "" : ","}${JSON.stringify(key)}:${text}`;
    first = false;
  }
  return `${out}}`;
}
