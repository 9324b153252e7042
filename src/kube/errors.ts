// Typed API errors. The API server answers failures with a metav1.Status; the
// typed client wraps it in an ApiException whose body is the raw text, the raw
// client here hands over the parsed JSON. Both become one `KubeApiError` so
// callers test `isNotFound(e)` without knowing which path failed.
// ApiException is recognised by shape (numeric `code`, `body`), which keeps
// this module free of the client library's load time.
import { isRecord } from "../api/is-record.js";

/** metav1.Status as the API server sends it (all fields optional on the wire). */
export interface KubeStatus {
  apiVersion?: string;
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    retryAfterSeconds?: number;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
}

/** Reasons used by the API server (metav1.StatusReason) that callers branch on. */
export const StatusReason = {
  NotFound: "NotFound",
  AlreadyExists: "AlreadyExists",
  Conflict: "Conflict",
  Gone: "Gone",
  Expired: "Expired",
  Invalid: "Invalid",
  Forbidden: "Forbidden",
  Unauthorized: "Unauthorized",
  TooManyRequests: "TooManyRequests",
  Timeout: "Timeout",
  ServerTimeout: "ServerTimeout",
  BadRequest: "BadRequest",
  InternalError: "InternalError",
  ServiceUnavailable: "ServiceUnavailable",
} as const;

const reasonByCode: Record<number, string> = {
  400: StatusReason.BadRequest,
  401: StatusReason.Unauthorized,
  403: StatusReason.Forbidden,
  404: StatusReason.NotFound,
  409: StatusReason.Conflict,
  410: StatusReason.Gone,
  422: StatusReason.Invalid,
  429: StatusReason.TooManyRequests,
  500: StatusReason.InternalError,
  503: StatusReason.ServiceUnavailable,
  504: StatusReason.Timeout,
};

export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  constructor(
    /** HTTP status code (or the Status code of a watch ERROR event). */
    readonly code: number,
    /** metav1.StatusReason, or one derived from the code when the server sent none. */
    readonly reason: string,
    message: string,
    readonly status?: KubeStatus,
  ) {
    super(message);
  }

  get retryAfterSeconds(): number | undefined {
    return this.status?.details?.retryAfterSeconds;
  }
}

function parseStatus(body: unknown): KubeStatus | undefined {
  let value = body;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  } else if (Buffer.isBuffer(value)) {
    return parseStatus(value.toString("utf8"));
  }
  if (!isRecord(value)) return undefined;
  if (value.kind !== "Status" && value.reason === undefined && value.message === undefined) return undefined;
  return value as KubeStatus;
}

function bodySnippet(body: unknown): string {
  const text = typeof body === "string" ? body : Buffer.isBuffer(body) ? body.toString("utf8") : "";
  const trimmed = text.trim();
  return trimmed.length > 200 ? `${trimmed.slice(0, 200)}…` : trimmed;
}

/** Builds the error for a non-2xx response (raw text or parsed JSON body). */
export function apiErrorFromResponse(code: number, body: unknown, context?: string): KubeApiError {
  const status = parseStatus(body);
  const reason = status?.reason || reasonByCode[code] || (code >= 500 ? StatusReason.InternalError : "Unknown");
  const detail = status?.message || bodySnippet(body) || `HTTP ${code}`;
  const message = context ? `${context}: ${detail}` : detail;
  return new KubeApiError(code, reason, message, status);
}

/** Builds the error for a watch `ERROR` event, whose object is a Status. */
export function apiErrorFromStatus(status: unknown, context?: string): KubeApiError {
  const parsed = parseStatus(status) ?? {};
  const code = typeof parsed.code === "number" ? parsed.code : 500;
  return apiErrorFromResponse(code, parsed, context);
}

/**
 * Normalises anything thrown by an API call. Returns undefined for errors that
 * never reached the server (connection refused, TLS failure, abort).
 */
export function toKubeApiError(e: unknown): KubeApiError | undefined {
  if (e instanceof KubeApiError) return e;
  if (isRecord(e)) {
    // ApiException carries `code` and `body`; the client's Watch reports
    // failures as an Error with `statusCode`.
    const code = typeof e.statusCode === "number" ? e.statusCode : typeof e.code === "number" ? e.code : undefined;
    if (code !== undefined && code >= 100 && code < 600) {
      return apiErrorFromResponse(code, e.body ?? (e instanceof Error ? e.message : undefined));
    }
  }
  return undefined;
}

export function statusCodeOf(e: unknown): number | undefined {
  return toKubeApiError(e)?.code;
}

export function isNotFound(e: unknown): boolean {
  return toKubeApiError(e)?.code === 404;
}

/** 409 that is an optimistic-concurrency conflict (not AlreadyExists). */
export function isConflict(e: unknown): boolean {
  const err = toKubeApiError(e);
  return err?.code === 409 && err.reason !== StatusReason.AlreadyExists;
}

export function isAlreadyExists(e: unknown): boolean {
  const err = toKubeApiError(e);
  return err?.code === 409 && err.reason === StatusReason.AlreadyExists;
}

/** 410: the resourceVersion a list or watch asked for is no longer in etcd's window. */
export function isGone(e: unknown): boolean {
  const err = toKubeApiError(e);
  return err?.code === 410 || err?.reason === StatusReason.Expired;
}

export function isInvalid(e: unknown): boolean {
  return toKubeApiError(e)?.code === 422;
}

export function isForbidden(e: unknown): boolean {
  return toKubeApiError(e)?.code === 403;
}

/** One line for logs: "409 Conflict: the object has been modified…", or the plain message. */
export function describeError(e: unknown): string {
  const err = toKubeApiError(e);
  if (err) return `${err.code} ${err.reason}: ${err.message}`;
  return e instanceof Error ? e.message : String(e);
}
