// The health gate of a rollout, as the SidecarSet's annotations ask for it
// (docs/behaviour.md §7a.5): how long an upgraded pod has to become ready on
// its new sidecar image, how many failed pods halt the rollout, and when a
// person last resumed it. One reader serves the validating webhook (which
// refuses unreadable values) and the controller (which switches the gate off
// for a value stored before validation existed, and says so).
import { fieldError, type FieldError } from "./errors.js";
import { MAX_FAILED_UPGRADES_ANNOTATION, PROGRESS_DEADLINE_ANNOTATION, RESUMED_AT_ANNOTATION } from "./keys.js";
import { readRfc3339 } from "./rfc3339.js";

export interface ProgressPolicy {
  /** An upgraded pod not ready on its new image this long after the patch has failed. */
  deadlineSeconds: number;
  /** Failed pods of the current revision that halt the rollout. */
  maxFailed: number;
  /**
   * The last resume (ms since the epoch, whole seconds): pods patched before
   * it no longer count. Patch times are whole seconds too, so a pod patched
   * in the resume's own second — which is a pod the resumed rollout patched,
   * since a halted one patches none — is judged.
   */
  resumedAt?: number;
}

export interface ProgressPolicyReading {
  /** Undefined: the gate is off (no deadline annotation, or an unreadable value). */
  policy: ProgressPolicy | undefined;
  errors: FieldError[];
}

export const DEFAULT_MAX_FAILED_UPGRADES = 1;

/** Larger values are surely typing mistakes, and beyond them seconds stop fitting a timer. */
const MAX_WHOLE_NUMBER = 2_147_483_647;

const annotationPath = (key: string): string => `metadata.annotations[${key}]`;

/** A whole number from 1 on, written in decimal digits only. */
function readCount(value: string, key: string, meaning: string): number | FieldError {
  const n = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_WHOLE_NUMBER) {
    return fieldError(annotationPath(key), `${JSON.stringify(value)} is not ${meaning}; write a whole number from 1 to ${MAX_WHOLE_NUMBER}, like "300"`);
  }
  return n;
}

const isError = (v: number | FieldError | undefined): v is FieldError => typeof v === "object";

/** Reads the three annotations; the gate is on only when the deadline is present and every value reads. */
export function readProgressPolicy(annotations: Readonly<Record<string, string>> | undefined): ProgressPolicyReading {
  const deadlineText = annotations?.[PROGRESS_DEADLINE_ANNOTATION];
  const maxFailedText = annotations?.[MAX_FAILED_UPGRADES_ANNOTATION];
  const resumedText = annotations?.[RESUMED_AT_ANNOTATION];
  const deadline = deadlineText === undefined ? undefined : readCount(deadlineText, PROGRESS_DEADLINE_ANNOTATION, "a number of seconds");
  const maxFailed = maxFailedText === undefined ? undefined : readCount(maxFailedText, MAX_FAILED_UPGRADES_ANNOTATION, "a number of pods");
  let resumedAt: number | FieldError | undefined;
  if (resumedText !== undefined) {
    resumedAt =
      readRfc3339(resumedText) ??
      fieldError(annotationPath(RESUMED_AT_ANNOTATION), `${JSON.stringify(resumedText)} is not an RFC 3339 time; write one like "2026-01-02T03:04:05Z"`);
  }
  const errors = [deadline, maxFailed, resumedAt].filter(isError);
  if (deadline === undefined || isError(deadline) || errors.length > 0) return { policy: undefined, errors };
  return {
    policy: {
      deadlineSeconds: deadline,
      maxFailed: (maxFailed as number | undefined) ?? DEFAULT_MAX_FAILED_UPGRADES,
      ...(resumedAt !== undefined ? { resumedAt: Math.floor((resumedAt as number) / 1000) * 1000 } : {}),
    },
    errors,
  };
}

/** The annotations the policy reads, for telling a changed value from one stored long ago. */
export const PROGRESS_POLICY_ANNOTATIONS = [PROGRESS_DEADLINE_ANNOTATION, MAX_FAILED_UPGRADES_ANNOTATION, RESUMED_AT_ANNOTATION] as const;
