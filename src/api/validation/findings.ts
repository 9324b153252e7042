// Collects what the rules find about one SidecarSet.
import { fieldError, type FieldError } from "../errors.js";
import type { MalformedPaths } from "./shape.js";

export class Findings {
  readonly errors: FieldError[] = [];
  readonly warnings: string[] = [];

  constructor(private readonly malformed: MalformedPaths) {}

  /**
   * Records an error, unless the shape check already reported the value at
   * `path` (or one containing it): that value was removed, so a rule seeing
   * it "missing" is a consequence, not a second problem.
   */
  error(path: string, message: string): void {
    if (this.malformed.covers(path)) return;
    this.errors.push(fieldError(path, message));
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  /** True when a shape error was reported at `path` or inside it. */
  hasShapeErrorWithin(path: string): boolean {
    return this.malformed.within(path);
  }
}
