// One copy of each repeated string value in a cache. JSON.parse gives every
// pod its own copy of values most pods share — images and image IDs, condition
// types, reasons and messages, timestamps of the same second, the hash
// annotations of every pod injected in that second — which at 10,000 pods is
// about a third of the controller's heap. Property names are shared already
// (V8 internalizes them); values are not.

/** Past this many distinct strings the table starts over, so values that stopped repeating are let go. */
const DEFAULT_LIMIT = 50_000;

export class StringInterner {
  private table = new Map<string, string>();

  constructor(private readonly limit = DEFAULT_LIMIT) {}

  intern(value: string): string {
    const known = this.table.get(value);
    if (known !== undefined) return known;
    if (this.table.size >= this.limit) this.table.clear();
    this.table.set(value, value);
    return value;
  }

  get size(): number {
    return this.table.size;
  }

  /**
   * Interns every string of a JSON value in place, except the values of `skip` keys (fields unique to one
   * object: interning them would only fill the table). In place, because a copy would give V8 new objects
   * to shape and collect; replacing a string property with an equal string keeps the object's shape.
   */
  internAll<T>(value: T, skip: ReadonlySet<string> = NO_KEYS): T {
    this.walk(value, skip);
    return value;
  }

  private walk(value: unknown, skip: ReadonlySet<string>): void {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        if (typeof v === "string") value[i] = this.intern(v);
        else this.walk(v, skip);
      }
      return;
    }
    if (value === null || typeof value !== "object") return;
    const record = value as Record<string, unknown>;
    for (const k in record) {
      if (skip.has(k) || !Object.hasOwn(record, k)) continue;
      const v = record[k];
      if (typeof v === "string") record[k] = this.intern(v);
      else this.walk(v, skip);
    }
  }
}

const NO_KEYS: ReadonlySet<string> = new Set();
