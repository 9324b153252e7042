// Reading SidecarSets for the commands that compute from them (defaults, hash,
// plan, simulate): only documents of kind SidecarSet, each checked for shape
// first, so that nothing is computed from a SidecarSet the cluster would refuse
// to store (`partition: abc`, a map for `containers`).
import { defaultSidecarSet } from "../api/defaults.js";
import { formatFieldError, type FieldError } from "../api/errors.js";
import { isRecord } from "../api/is-record.js";
import { KIND, type SidecarSet } from "../api/types.js";
import { checkShape } from "../api/validation/index.js";
import { Findings } from "../api/validation/findings.js";
import { MalformedPaths } from "../api/validation/shape.js";
import { validateUpdateStrategy } from "../api/validation/strategy.js";
import { InputError, nothingFound, readDocuments, type SourceDocument } from "./documents.js";

export interface ReadSidecarSet {
  doc: SourceDocument;
  /** As written (shape-checked, not defaulted). */
  set: SidecarSet;
}

/** `file:line`, where a document starts. */
export function where(doc: SourceDocument): string {
  return `${doc.file}:${doc.line}`;
}

/**
 * Errors that make a SidecarSet unusable before any rule is applied: its
 * shape, and (unless the caller's planner reports them itself) the
 * integer-or-percentage fields of its updateStrategy.
 */
function shapeErrors(object: unknown, checkStrategy: boolean): { set?: SidecarSet; errors: FieldError[] } {
  const shape = checkShape(object, KIND);
  if (shape.errors.length > 0) return { errors: shape.errors };
  const set = shape.value as SidecarSet;
  if (!checkStrategy) return { set, errors: [] };
  const findings = new Findings(new MalformedPaths());
  validateUpdateStrategy(defaultSidecarSet(set).spec.updateStrategy, findings);
  return findings.errors.length > 0 ? { errors: findings.errors } : { set, errors: [] };
}

/**
 * Every SidecarSet of the inputs; other kinds are skipped. Throws an
 * InputError when there is none, or with one `file:line: name: path: message`
 * line per problem when one is malformed.
 */
export function readSidecarSets(paths: readonly string[], opts: { checkStrategy: boolean } = { checkStrategy: true }): ReadSidecarSet[] {
  const docs = readDocuments(paths).filter((d) => isRecord(d.object) && d.object.kind === KIND);
  if (docs.length === 0) throw new InputError(nothingFound("SidecarSet", paths));
  const problems: string[] = [];
  const out: ReadSidecarSet[] = [];
  for (const doc of docs) {
    const { set, errors } = shapeErrors(doc.object, opts.checkStrategy);
    const meta = isRecord(doc.object) && isRecord(doc.object.metadata) ? doc.object.metadata : {};
    const name = typeof meta.name === "string" && meta.name !== "" ? meta.name : "(no name)";
    for (const e of errors) problems.push(`${where(doc)}: ${name}: ${formatFieldError(e)}`);
    if (set) out.push({ doc, set });
  }
  if (problems.length > 0) throw new InputError(problems.join("\n"));
  return out;
}

/**
 * The one SidecarSet of the inputs, as the cluster stores it; several are an
 * error. Its updateStrategy is left to the planner, which reports what it cannot use.
 */
export function readOneSidecarSet(paths: readonly string[]): SidecarSet {
  const sets = readSidecarSets(paths, { checkStrategy: false });
  if (sets.length > 1) {
    throw new InputError(`${paths.join(", ")}: ${sets.length} SidecarSets (at ${sets.map((s) => where(s.doc)).join(", ")}); give exactly one`);
  }
  return defaultSidecarSet(sets[0]!.set);
}
