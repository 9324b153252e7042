// Regular expressions in a SidecarSet and in the whitelist are RE2 (Go's
// regexp): linear-time, so no lookaround and no backreferences.
import type { RE2JS } from "re2js";
import { re2 } from "../re2.js";

export type CompiledRe2 = { ok: true; re: RE2JS } | { ok: false; error: string };

// Compiling costs far more than the rest of a validation, and the same few
// patterns come back on every admission request; the cap only bounds churn.
const CACHE_LIMIT = 256;
const cache = new Map<string, CompiledRe2>();

export function compileRe2(source: string): CompiledRe2 {
  const hit = cache.get(source);
  if (hit) return hit;
  let compiled: CompiledRe2;
  try {
    compiled = { ok: true, re: re2().compile(source) };
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    compiled = {
      ok: false,
      error: `${JSON.stringify(source)} is not a valid RE2 regular expression (${detail}); lookaround and backreferences are not supported`,
    };
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(source, compiled);
  return compiled;
}

/** Undefined when `source` is a valid RE2 regular expression, else what is wrong. */
export function checkRe2(source: string): string | undefined {
  const c = compileRe2(source);
  return c.ok ? undefined : c.error;
}
