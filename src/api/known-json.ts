// JSON text written once for values that cannot change. A value given to
// `withKnownJson` is frozen, all the way down, and its text kept beside it;
// `knownJsonPieces` then writes that text where the value appears instead of
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
 * `JSON.stringify(value)`, the same text, as a few pieces whose concatenation
 * it is: the kept text of each known value a piece of its own, put in as it
 * is, and the text between them joined. Objects and arrays are walked `depth`
 * levels down to look for known values; below that, JSON.stringify does the
 * rest. Undefined where JSON.stringify gives undefined.
 */
export function knownJsonPieces(value: unknown, depth: number): string[] | undefined {
  const pieces: string[] = [];
  return writePieces(value, depth, pieces) ? pieces : undefined;
}

/**
 * Appends `prefix` and `value`'s text to `pieces` (to the last piece, unless the
 * text is known); nothing, and false, when the value has no JSON text.
 */
function writePieces(value: unknown, depth: number, pieces: string[], prefix = ""): boolean {
  if (typeof value === "object" && value !== null) {
    const known = texts.get(value);
    if (known !== undefined) {
      append(pieces, prefix);
      pieces.push(known, "");
      return true;
    }
    // One level above the last, a structure whose members are all written joined is one JSON.stringify call:
    // a call per member costs more than the walk saves (a pod's volumes, in the pod webhook's patch).
    if (depth > 0 && typeof (value as { toJSON?: unknown }).toJSON !== "function" && (depth > 1 || holdsOwnPiece(value))) {
      append(pieces, prefix);
      writeStructure(value, depth, pieces);
      return true;
    }
  }
  const text = typeof value === "string" && value.length >= OWN_PIECE_LENGTH ? longStringJson(value) : JSON.stringify(value);
  if (text === undefined) return false;
  append(pieces, prefix);
  // A long text (a hash annotation's) stays a piece of its own: joined to the rest it would be copied again.
  if (text.length >= OWN_PIECE_LENGTH) pieces.push(text, "");
  else append(pieces, text);
  return true;
}

const OWN_PIECE_LENGTH = 512;

/** Whether a member of `value` is written as a piece of its own: a known value or a long string. */
function holdsOwnPiece(value: object): boolean {
  const members = Array.isArray(value) ? value : Object.values(value);
  return members.some((member: unknown) =>
    typeof member === "object" && member !== null ? texts.has(member) : typeof member === "string" && member.length >= OWN_PIECE_LENGTH,
  );
}

/**
 * The JSON of long strings written lately. The pod webhook writes the same hash annotations (2 KB and more,
 * a quote to escape every few characters) into every pod injected by the same SidecarSets within a second.
 */
const recentLongStrings = new Map<string, string>();
const RECENT_LONG_STRINGS = 8;
/** Longer strings are written without being kept: the eight kept stay within a megabyte. */
const KEPT_STRING_LENGTH = 64 * 1024;

function longStringJson(value: string): string {
  if (value.length > KEPT_STRING_LENGTH) return JSON.stringify(value);
  let text = recentLongStrings.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    if (recentLongStrings.size >= RECENT_LONG_STRINGS) recentLongStrings.delete(recentLongStrings.keys().next().value!);
    recentLongStrings.set(value, text);
  }
  return text;
}

function writeStructure(value: object, depth: number, pieces: string[]): void {
  if (Array.isArray(value)) {
    append(pieces, "[");
    for (let i = 0; i < value.length; i++) {
      const separator = i > 0 ? "," : "";
      if (!writePieces(value[i], depth - 1, pieces, separator)) append(pieces, `${separator}null`);
    }
    append(pieces, "]");
    return;
  }
  append(pieces, "{");
  let first = true;
  for (const key of Object.keys(value)) {
    // As JSON.stringify: a property whose value has no JSON (undefined, a function) is left out.
    const written = writePieces((value as Record<string, unknown>)[key], depth - 1, pieces, `${first ? "" : ","}${JSON.stringify(key)}:`);
    if (written) first = false;
  }
  append(pieces, "}");
}

function append(pieces: string[], text: string): void {
  if (pieces.length === 0) pieces.push(text);
  else pieces[pieces.length - 1] += text;
}
