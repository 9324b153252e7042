// Partition (docs/behaviour.md §6.7 step 4): how many matched pods stay on old versions.
import type { FieldError } from "../../api/errors.js";
import type { IntOrString } from "../../api/kube-types.js";

export type IntOrPercent = { kind: "int"; value: number } | { kind: "percent"; value: number; raw: string };

const PERCENT = /^[0-9]+%$/;

/**
 * Reads an int-or-string strategy field: a non-negative integer or a whole
 * percentage like "10%". Anything else is a FieldError naming `path`.
 */
export function parseIntOrPercent(value: IntOrString | undefined | null, path: string): IntOrPercent | undefined | FieldError {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0) return { kind: "int", value };
    return { path, message: `${value} is not allowed; use a non-negative integer or a whole percentage like "10%"` };
  }
  if (typeof value === "string" && PERCENT.test(value)) return { kind: "percent", value: Number(value.slice(0, -1)), raw: value };
  return {
    path,
    message: `${JSON.stringify(value)} is neither a non-negative integer nor a whole percentage like "10%"`,
  };
}

export function isFieldError(v: unknown): v is FieldError {
  return typeof v === "object" && v !== null && "path" in v && "message" in v;
}

/** ceil(p·N/100), computed in the same order as the Go reference. */
export function scaledPercent(percent: number, total: number): number {
  return Math.ceil((percent * total) / 100);
}

/**
 * The number of matched pods kept old. A percentage rounds up (a non-zero
 * percentage keeps at least one pod) but, short of exactly "100%", never keeps
 * every pod of more than one: something always moves.
 */
export function partitionCount(partition: IntOrPercent | undefined, matched: number): number {
  if (!partition) return 0;
  let kept: number;
  if (partition.kind === "int") {
    kept = partition.value;
  } else {
    kept = scaledPercent(partition.value, matched);
    if (matched > 1 && kept >= matched && partition.raw !== "100%") kept = matched - 1;
  }
  return Math.max(0, Math.min(kept, matched));
}

/**
 * How many of the ordered waiting pods the partition leaves to upgrade: the
 * first |waiting| − P. The partition counts against waiting pods, so busy and
 * not-upgradable pods keep more pods old.
 */
export function upgradableUnderPartition(waiting: number, kept: number): number {
  return Math.max(0, waiting - kept);
}
