// Values that do not belong where they are put, and mutations that put them
// anywhere in a seed object: wrong types, prototype keys, lists turned into
// maps, huge strings, nesting past any sane depth.
//
// Values too deep for JSON.stringify travel as marker strings and are spliced
// into the serialized text (`serializeBody`); JSON.parse reads any depth.
import fc from "fast-check";
import { isRecord } from "../../src/api/is-record.js";

const DEEP_MARKER = /"\\u0000deep:(\d+):([ao])"/g;

/** A value nested `depth` levels (arrays or objects), as a marker for `serializeBody`. */
export function deep(depth: number, shape: "a" | "o"): string {
  return `\u0000deep:${depth}:${shape}`;
}

function deepText(depth: number, shape: string): string {
  return shape === "a" ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

/** JSON text of `value`, deep markers expanded. */
export function serializeBody(value: unknown): string {
  return JSON.stringify(value).replace(DEEP_MARKER, (_m, depth: string, shape: string) => deepText(Number(depth), shape));
}

/** Keys that reach Object.prototype when code assigns them naively. */
export const PROTOTYPE_KEYS = ["__proto__", "constructor", "prototype"] as const;

/** An object with own (not inherited) properties, whatever their names: `{ __proto__: x }` would set the prototype. */
export function ownObject(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

export const pollution = (): Record<string, unknown> =>
  ownObject([
    ["__proto__", ownObject([["polluted", "yes"]])],
    ["constructor", ownObject([["prototype", ownObject([["polluted", "yes"]])]])],
  ]);

export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...PROTOTYPE_KEYS, "", "toString", "hasOwnProperty", "a/b", "~0~1", "kruise.io/sidecarset-hash", "\u0000", "ключ"),
  fc.string({ maxLength: 12 }),
);

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(-0, 1e308, 2 ** 53 + 2, -(2 ** 63), 0.1, "", " ", "null", "{}", "[]", "10%", "-1", "1e999"),
);

const smallObject: fc.Arbitrary<Record<string, unknown>> = fc
  .array(fc.tuple(hostileKey, scalar), { maxLength: 4 })
  .map((entries) => ownObject(entries));

// Heavy values (deep, huge) are one in twenty: a review has a dozen fields,
// and bodies of megabytes each would make the suite slow, not harsher.
/** Any value where a field of another type belongs. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 16, arbitrary: scalar },
  { weight: 8, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 8, arbitrary: smallObject },
  { weight: 4, arbitrary: fc.array(fc.oneof(scalar, smallObject), { maxLength: 4 }) },
  { weight: 2, arbitrary: fc.constant(null).map(pollution) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1_000, max: 20_000 }), fc.constantFrom("a" as const, "o" as const)).map(([d, s]) => deep(d, s)) },
  { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 300_000 }).map((n) => "x".repeat(n)) },
);

// ---- mutations of a seed object ----

export interface Mutation {
  at: number;
  how: "replace" | "insert" | "delete" | "list-to-map";
  key: string;
  value: unknown;
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  how: fc.constantFrom("replace", "replace", "insert", "delete", "list-to-map"),
  key: hostileKey,
  value: hostileValue,
});

type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number };

/** Every place a value sits in `root`, parents before children. */
function slots(root: Record<string, unknown>): Slot[] {
  const out: Slot[] = [];
  const queue: unknown[] = [root];
  for (let next = 0; next < queue.length; next++) {
    const node = queue[next];
    if (Array.isArray(node)) {
      node.forEach((v, i) => {
        out.push({ parent: node, key: i });
        queue.push(v);
      });
    } else if (typeof node === "object" && node !== null) {
      for (const [k, v] of Object.entries(node)) {
        out.push({ parent: node as Record<string, unknown>, key: k });
        queue.push(v);
      }
    }
  }
  return out;
}

export function setOwn(parent: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}

export function listToMap(list: unknown[]): Record<string, unknown> {
  return ownObject(list.map((item, i) => {
    const name = (item as { name?: unknown } | null)?.name;
    return [typeof name === "string" ? name : String(i), item] as const;
  }));
}

export function applyMutation(root: Record<string, unknown>, m: Mutation): void {
  const all = slots(root);
  if (m.how === "insert") {
    const objects = [root, ...all.map((s) => (s.parent as Record<string, unknown>)[s.key as string])].filter(
      isRecord,
    );
    setOwn(objects[m.at % objects.length]!, m.key, m.value);
    return;
  }
  if (all.length === 0) return;
  const slot = all[m.at % all.length]!;
  const current = (slot.parent as Record<string | number, unknown>)[slot.key];
  if (m.how === "delete") {
    if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
    else delete slot.parent[slot.key];
  } else if (m.how === "list-to-map" && Array.isArray(current)) {
    setOwn(slot.parent, slot.key, listToMap(current));
  } else {
    setOwn(slot.parent, slot.key, m.value);
  }
}

/** `seed` (deep-copied) with 1–`max` random mutations. */
export function mutated<T>(seed: T, max = 4): fc.Arbitrary<Record<string, unknown>> {
  return fc.array(mutation, { minLength: 1, maxLength: max }).map((ms) => {
    const copy = JSON.parse(JSON.stringify(seed)) as Record<string, unknown>;
    for (const m of ms) applyMutation(copy, m);
    return copy;
  });
}
