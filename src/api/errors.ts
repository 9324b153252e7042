/**
 * A problem a user can cause, with the field it is about. `message` says what
 * was given and what is allowed: "…: \"ten\" is neither an integer nor a
 * percentage like \"10%\"".
 */
export interface FieldError {
  path: string;
  message: string;
}

export function fieldError(path: string, message: string): FieldError {
  return { path, message };
}

export function formatFieldError(e: FieldError): string {
  return e.path ? `${e.path}: ${e.message}` : e.message;
}
