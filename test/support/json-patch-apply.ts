// An RFC 6902 applier as the API server's (Go) one behaves: every member name
// is plain data, `__proto__` included, and any operation that does not fit the
// document is an error. fast-json-patch refuses prototype-looking names and
// assigns members (which for `__proto__` sets a prototype), so it cannot judge
// patches for pods that carry such names.

type Json = unknown;
type Container = Record<string, Json> | Json[];

export interface PatchOperation {
  op: string;
  path: string;
  value?: Json;
  from?: string;
}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new Error(`path ${JSON.stringify(pointer)} does not start with "/"`);
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function isContainer(v: Json): v is Container {
  return typeof v === "object" && v !== null;
}

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function setMember(o: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function arrayIndex(list: Json[], segment: string, forAdd: boolean): number {
  if (forAdd && segment === "-") return list.length;
  if (!/^(0|[1-9][0-9]*)$/.test(segment)) throw new Error(`${JSON.stringify(segment)} is not an array index`);
  const i = Number(segment);
  if (i > list.length || (!forAdd && i === list.length)) throw new Error(`index ${i} is out of range`);
  return i;
}

/** The container holding the last segment of `segments`. */
function parentOf(doc: Json, segments: string[]): Container {
  let node = doc;
  for (const s of segments.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(node, s, false)];
    else if (isContainer(node) && own(node, s)) node = (node as Record<string, Json>)[s];
    else throw new Error(`no member ${JSON.stringify(s)}`);
  }
  if (!isContainer(node)) throw new Error("parent is not an object or array");
  return node;
}

function get(doc: Json, segments: string[]): Json {
  if (segments.length === 0) return doc;
  const parent = parentOf(doc, segments);
  const last = segments[segments.length - 1]!;
  if (Array.isArray(parent)) return parent[arrayIndex(parent, last, false)];
  if (!own(parent, last)) throw new Error(`no member ${JSON.stringify(last)}`);
  return parent[last];
}

function remove(doc: Json, segments: string[]): Json {
  const parent = parentOf(doc, segments);
  const last = segments[segments.length - 1]!;
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, false), 1)[0];
  if (!own(parent, last)) throw new Error(`no member ${JSON.stringify(last)} to remove`);
  const v = parent[last];
  delete parent[last];
  return v;
}

function add(doc: Json, segments: string[], value: Json): Json {
  if (segments.length === 0) return value;
  const parent = parentOf(doc, segments);
  const last = segments[segments.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true), 0, value);
  else setMember(parent, last, value);
  return doc;
}

/** `doc` after `ops` (it is changed in place); throws on the first operation that does not apply. */
export function applyJsonPatch(doc: Json, ops: readonly PatchOperation[]): Json {
  let out = doc;
  ops.forEach((op, i) => {
    try {
      const at = parsePointer(op.path);
      switch (op.op) {
        case "add":
          if (!("value" in op)) throw new Error("no value");
          out = add(out, at, op.value);
          break;
        case "remove":
          if (at.length === 0) throw new Error("cannot remove the whole document");
          remove(out, at);
          break;
        case "replace":
          if (!("value" in op)) throw new Error("no value");
          if (at.length === 0) out = op.value;
          else {
            remove(out, at);
            out = add(out, at, op.value);
          }
          break;
        case "move":
        case "copy": {
          const from = parsePointer(op.from ?? "");
          const v = op.op === "move" ? remove(out, from) : structuredClone(get(out, from));
          out = add(out, at, v);
          break;
        }
        case "test":
          if (JSON.stringify(get(out, at)) !== JSON.stringify(op.value)) throw new Error("test failed");
          break;
        default:
          throw new Error(`unknown op ${JSON.stringify(op.op)}`);
      }
    } catch (e) {
      throw new Error(`operation ${i} (${op.op} ${op.path}): ${(e as Error).message}`);
    }
  });
  return out;
}
