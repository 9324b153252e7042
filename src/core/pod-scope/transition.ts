// Moving the pod webhook from the scope it has to the scope it should have
// (docs/behaviour.md §7a.2) without a pod falling between the two: a wider
// scope is written at once; what the webhook covered until now stays covered
// for a grace period after it was last needed, so a pod whose SidecarSet the
// webhook still caches, or whose request the API server already matched with
// the old configuration, is not skipped. Level-based: the next step follows
// from what the configuration holds and what is desired, plus the times at
// which terms were last needed (lost on restart, which only restarts their
// grace).
import { everyPod, NO_POD, scopeOfTerms, type PodScope } from "./expression.js";
import { ungroupTerms } from "./label-groups.js";

/** The pod webhook's match conditions as the API server has them. */
export type InstalledScope =
  | { kind: "every-pod" }
  /** Match conditions, ANDed into one expression when there are several. */
  | { kind: "expression"; expression: string };

/**
 * When each term was last needed (ms since the epoch): desired, or first seen
 * installed. "Every pod" is the term `true`.
 */
export type LastNeeded = ReadonlyMap<string, number>;

export interface TransitionInput {
  desired: PodScope;
  installed: InstalledScope;
  lastNeeded: LastNeeded;
  now: number;
  graceMs: number;
}

export interface Transition {
  /** What to write now; undefined when the installed scope is already right. */
  write: PodScope | undefined;
  lastNeeded: Map<string, number>;
  /** When to look again, because a grace period ends then. */
  recheckAt: number | undefined;
}

/** The term that stands for "every pod" while it retires. */
const EVERY_POD_TERM = "true";

export function nextTransition(input: TransitionInput): Transition {
  const { desired, installed, now, graceMs } = input;
  const current = installedTerms(installed);
  const lastNeeded = new Map<string, number>();
  // A term is remembered while it is installed or desired; one that is
  // neither has been dropped, and is forgotten.
  for (const term of current) lastNeeded.set(term, input.lastNeeded.get(term) ?? now);
  for (const [term, at] of input.lastNeeded) if (!lastNeeded.has(term) && now - at < graceMs) lastNeeded.set(term, at);
  if (desired.kind === "every-pod") {
    // Nothing is narrowed: every pod is the widest scope there is.
    lastNeeded.set(EVERY_POD_TERM, now);
    return { write: installed.kind === "every-pod" ? undefined : desired, lastNeeded, recheckAt: undefined };
  }
  for (const term of desired.terms) lastNeeded.set(term, now);

  const wanted = new Set(desired.terms);
  const kept: string[] = [];
  let recheckAt: number | undefined;
  for (const [term, at] of lastNeeded) {
    const until = at + graceMs;
    if (wanted.has(term) || until <= now) continue;
    kept.push(term);
    recheckAt = recheckAt === undefined ? until : Math.min(recheckAt, until);
  }
  const target: PodScope = kept.includes(EVERY_POD_TERM)
    ? everyPod("grace", "every pod stays covered until its grace period ends")
    : kept.length === 0
      ? desired
      : scopeOfTerms([...desired.terms, ...kept]);
  return { write: sameScope(target, installed) ? undefined : target, lastNeeded, recheckAt };
}

function sameScope(scope: PodScope, installed: InstalledScope): boolean {
  if (scope.kind === "every-pod" || installed.kind === "every-pod") return scope.kind === installed.kind;
  return scope.expression === installed.expression;
}

/**
 * The installed scope as terms: split at its top-level `||` when every part
 * is one parenthesised group (as this manager writes them, so a scope written
 * before a restart is read back term by term, one label's values split into
 * a term each), else one opaque term (a hand edit).
 */
export function installedTerms(installed: InstalledScope): string[] {
  if (installed.kind === "every-pod") return [EVERY_POD_TERM];
  const text = installed.expression;
  if (text === NO_POD) return [];
  const parts = splitTopLevelOr(text);
  return parts?.every(isOneGroup) ? ungroupTerms(parts) : [`(${text})`];
}

const OR = " || ";

/**
 * Calls `visit` with each index outside string literals and the bracket depth
 * after that character; `visit` returns true to stop. Returns the depth at the
 * end (or where stopped), undefined when a string literal is not closed.
 */
function walkBrackets(text: string, visit: (i: number, depth: number) => boolean | void): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== ch) end += text[end] === "\\" ? 2 : 1;
      if (end >= text.length) return undefined;
      i = end;
      continue;
    }
    if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth--;
    if (visit(i, depth)) return depth;
  }
  return depth;
}

/** `text` split at each ` || ` outside brackets and string literals; undefined when they do not balance. */
function splitTopLevelOr(text: string): string[] | undefined {
  const cuts: number[] = [];
  const end = walkBrackets(text, (i, depth) => {
    if (depth < 0) return true;
    if (depth === 0 && text.startsWith(OR, i)) cuts.push(i);
  });
  if (end !== 0) return undefined;
  const parts: string[] = [];
  let start = 0;
  for (const cut of cuts) {
    parts.push(text.slice(start, cut));
    start = cut + OR.length;
  }
  parts.push(text.slice(start));
  return parts;
}

/** Whether the bracket that opens `part` closes at its last character. */
function isOneGroup(part: string): boolean {
  if (!part.startsWith("(")) return false;
  let closesAt = -1;
  walkBrackets(part, (i, depth) => depth === 0 && ((closesAt = i), true));
  return closesAt === part.length - 1;
}
