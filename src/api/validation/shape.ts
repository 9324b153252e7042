// The shape check (docs/behaviour.md §4.1): before any rule looks at a SidecarSet, every
// value is compared with the schema. A value of the wrong type, an unknown
// enum string or a malformed int-or-string becomes one error with its path
// and what is allowed, and is removed from the copy the rules then read — so
// the rules only ever see well-formed values and never crash on junk. Unknown
// fields become warnings (the API server prunes them) and are left out too.
import { fieldError, type FieldError } from "../errors.js";
import { isRecord } from "../is-record.js";
import { SCHEMA, type FieldSpec, type TypeTable } from "./schema.js";
import { childPath, indexPath, keyPath } from "./paths.js";

/** Paths whose values failed the shape check and were removed. */
export class MalformedPaths {
  private readonly paths: string[] = [];

  add(path: string): void {
    this.paths.push(path);
  }

  /** True when the value at `path`, or one containing it, was removed. */
  covers(path: string): boolean {
    return this.paths.some((m) => path === m || isBelow(path, m));
  }

  /** True when the value at `path` or anything inside it was removed. */
  within(path: string): boolean {
    return this.paths.some((m) => m === path || isBelow(m, path));
  }

  addAll(other: MalformedPaths): void {
    this.paths.push(...other.paths);
  }
}

function isBelow(path: string, ancestor: string): boolean {
  if (ancestor === "") return path !== "";
  return path.startsWith(`${ancestor}.`) || path.startsWith(`${ancestor}[`);
}

export interface ShapeResult {
  /** A copy holding only well-formed values; malformed list items are `null` so indexes keep their meaning. */
  value: unknown;
  errors: FieldError[];
  /** Unknown fields, as `path: message`. */
  warnings: string[];
  malformed: MalformedPaths;
}

interface State {
  table: TypeTable;
  errors: FieldError[];
  warnings: string[];
  malformed: MalformedPaths;
}

const DROP: unique symbol = Symbol("drop");
type Checked = unknown;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
// JSON numbers beyond ±2^63 cannot be int64; precision past 2^53 is not a shape question.
const INT64_LIMIT = 9223372036854775807;

/** Checks `value` against the schema type `typeName` (e.g. "SidecarSet") at `path`. */
export function checkShape(value: unknown, typeName: string, path = "", table: TypeTable = SCHEMA): ShapeResult {
  const st: State = { table, errors: [], warnings: [], malformed: new MalformedPaths() };
  const out = value === null || value === undefined ? DROP : check(value, typeName, path, st);
  if (value === null || value === undefined) {
    fail(st, path, `must be ${describe(typeName)}, got ${got(value)}`);
  }
  return { value: out === DROP ? undefined : out, errors: st.errors, warnings: st.warnings, malformed: st.malformed };
}

function fail(st: State, path: string, message: string): typeof DROP {
  st.errors.push(fieldError(path, message));
  st.malformed.add(path);
  return DROP;
}

function check(v: unknown, spec: FieldSpec, path: string, st: State): Checked | typeof DROP {
  switch (spec) {
    case "any":
      return v;
    case "string":
      return typeof v === "string" ? v : fail(st, path, `must be a string, got ${got(v)}`);
    case "bool":
      return typeof v === "boolean" ? v : fail(st, path, `must be true or false, got ${got(v)}`);
    case "int32":
      return checkInteger(v, INT32_MIN, INT32_MAX, path, st);
    case "int64":
      return checkInteger(v, -INT64_LIMIT, INT64_LIMIT, path, st);
    case "quantity":
      return typeof v === "string" || (typeof v === "number" && Number.isFinite(v))
        ? v
        : fail(st, path, `must be a quantity such as "500m", "1" or "1Gi", got ${got(v)}`);
    case "intstr":
      return typeof v === "string" || isInteger(v, INT32_MIN, INT32_MAX)
        ? v
        : fail(st, path, `must be an integer or a string such as "10%", got ${got(v)}`);
    case "labels":
      return checkMap(v, "string", path, st, "a map of label key to string value");
    case "annotations":
      return checkMap(v, "string", path, st, "a map of annotation key to string value");
  }
  if (spec.startsWith("enum:")) return checkEnum(v, spec.slice(5).split("|"), path, st);
  if (spec.startsWith("[]")) return checkList(v, spec.slice(2), path, st);
  if (spec.startsWith("{}")) return checkMap(v, spec.slice(2), path, st, `a map of ${plural(spec.slice(2))}`);
  return checkObject(v, spec, path, st);
}

function checkEnum(v: unknown, allowed: string[], path: string, st: State): Checked | typeof DROP {
  if (typeof v !== "string") return fail(st, path, `must be one of ${allowed.join(", ")}, got ${got(v)}`);
  if (v !== "" && !allowed.includes(v)) {
    return fail(st, path, `${JSON.stringify(v)} is not supported; use one of ${allowed.join(", ")}`);
  }
  return v;
}

function checkList(v: unknown, item: FieldSpec, path: string, st: State): Checked | typeof DROP {
  if (!Array.isArray(v)) return fail(st, path, `must be a list of ${plural(item)}, got ${got(v)}`);
  return v.map((el: unknown, i) => {
    const p = indexPath(path, i);
    if (el === null || el === undefined) {
      fail(st, p, `must be ${describe(item)}, got ${got(el)}`);
      return null;
    }
    const r = check(el, item, p, st);
    return r === DROP ? null : r;
  });
}

function checkMap(v: unknown, item: FieldSpec, path: string, st: State, what: string): Checked | typeof DROP {
  if (!isRecord(v)) return fail(st, path, `must be ${what}, got ${got(v)}`);
  const out: Record<string, unknown> = {};
  for (const [k, el] of Object.entries(v)) {
    const p = keyPath(path, k);
    if (el === null || el === undefined) {
      fail(st, p, `must be ${describe(item)}, got ${got(el)}`);
      continue;
    }
    const r = check(el, item, p, st);
    if (r !== DROP) setOwn(out, k, r);
  }
  return out;
}

function checkObject(v: unknown, typeName: string, path: string, st: State): Checked | typeof DROP {
  const fields = st.table[typeName];
  if (!fields) throw new Error(`schema has no type ${typeName}`);
  if (!isRecord(v)) return fail(st, path, `must be ${describe(typeName)}, got ${got(v)}`);
  const out: Record<string, unknown> = {};
  for (const [k, el] of Object.entries(v)) {
    const p = childPath(path, k);
    const spec = Object.prototype.hasOwnProperty.call(fields, k) ? fields[k] : undefined;
    if (spec === undefined) {
      st.warnings.push(`${p}: unknown field, ignored`);
      continue;
    }
    // JSON null means "not set", as the API server reads it.
    if (el === null || el === undefined) continue;
    const r = check(el, spec, p, st);
    if (r !== DROP) setOwn(out, k, r);
  }
  return out;
}

function checkInteger(v: unknown, min: number, max: number, path: string, st: State): Checked | typeof DROP {
  if (isInteger(v, min, max)) return v;
  if (typeof v === "number" && Number.isInteger(v)) return fail(st, path, `${v} is out of range; use ${min} to ${max}`);
  return fail(st, path, `must be an integer, got ${got(v)}`);
}

function isInteger(v: unknown, min: number, max: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}

/** Defines an own property even for keys such as `__proto__`. */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  // Plain assignment keeps objects fast; only `__proto__` would hit the prototype setter.
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** "a list", "a string (\"x\")", "a number (1.5)", … — what was given. */
export function got(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return "a list";
  switch (typeof v) {
    case "string":
      return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
    case "number":
    case "bigint":
      return `a number (${String(v)})`;
    case "boolean":
      return `a boolean (${String(v)})`;
    case "object":
      return "a map";
    default:
      return `a ${typeof v}`;
  }
}

function describe(spec: FieldSpec): string {
  switch (spec) {
    case "string":
      return "a string";
    case "bool":
      return "true or false";
    case "int32":
    case "int64":
      return "an integer";
    case "quantity":
      return "a quantity";
    case "intstr":
      return "an integer or a string";
    case "labels":
    case "annotations":
    case "any":
      return "a map";
  }
  if (spec.startsWith("enum:")) return `one of ${spec.slice(5).split("|").join(", ")}`;
  if (spec.startsWith("[]")) return "a list";
  if (spec.startsWith("{}")) return "a map";
  return "an object";
}

const NOUNS: Record<string, string> = {
  SidecarContainer: "containers",
  Volume: "volumes",
  EnvVar: "environment variables",
  ContainerPort: "ports",
  VolumeMount: "volume mounts",
  VolumeDevice: "volume devices",
  LocalObjectReference: "references like {name: my-secret}",
  LabelSelectorRequirement: "requirements like {key, operator, values}",
  SidecarSetPatchPodMetadata: "entries like {annotations, patchPolicy}",
  ScatterTerm: "terms like {key, value}",
};

function plural(spec: FieldSpec): string {
  const noun = NOUNS[spec];
  if (noun) return noun;
  switch (spec) {
    case "string":
      return "strings";
    case "int32":
    case "int64":
      return "integers";
    case "quantity":
      return "quantities";
    default:
      return spec.startsWith("enum:") || spec.startsWith("[]") || spec.startsWith("{}") ? "values" : "objects";
  }
}
