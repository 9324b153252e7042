// The one YAML writer for everything printed for kubectl. kubectl (through
// sigs.k8s.io/yaml and its go-yaml v2 fork) reads YAML 1.1: a plain `no`, `on`,
// `y`, `~`, `0x1f`, `1e3` or `2001-12-14` is a bool, a null, a number or a
// timestamp there, so a label written that way no longer fits a string field.
// Writing with the YAML 1.1 schema quotes those; the few forms go-yaml reads as
// numbers beyond YAML 1.1 (Go integer syntax such as `0o17`) and the merge
// key `<<` are quoted too.
import { Document, visit, type Tags } from "yaml";

/** Go's strconv.ParseInt/ParseUint with base 0, after go-yaml drops every `_`. */
const GO_INT = /^[-+]?(0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;
/** go-yaml's own float syntax (its yamlStyleFloat), also tried without `_`. */
const GO_YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** What Go's strconv.ParseFloat accepts of a plain scalar starting with `.` (go-yaml tries it on those). */
const GO_DOT_FLOAT = /^\.[0-9]+([eE][-+]?[0-9]+)?$/;
/** Any date-like start: go-yaml tries several timestamp layouts on these. */
const DATE_LIKE = /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/;

/**
 * True when go-yaml v2 would read the plain scalar `s` as something other than
 * this string (a superset of what the YAML 1.1 schema already quotes).
 */
export function goYamlReadsAsNonString(s: string): boolean {
  // A plain `<<` is YAML 1.1's merge key.
  if (s === "<<") return true;
  const first = s.charAt(0);
  if (first === ".") return GO_DOT_FLOAT.test(s);
  if (!/[-+0-9]/.test(first)) return false;
  const plain = s.replace(/_/g, "");
  return GO_INT.test(plain) || GO_YAML_FLOAT.test(plain) || DATE_LIKE.test(s);
}

/**
 * The writer's YAML 1.1 schema would print a `<<` string plain, as the merge
 * key; without that tag it is an ordinary string that the visitor below quotes.
 */
function withoutMergeKey(tags: Tags): Tags {
  return tags.filter((t) => typeof t === "string" || t.tag !== "tag:yaml.org,2002:merge");
}

/**
 * One YAML document that a YAML 1.1 reader (kubectl) reads back as the same
 * value: every string such a reader would take for another type is quoted, and
 * shared sub-objects are written out in full, never as aliases.
 */
export function toYamlDocument(value: unknown): string {
  const doc = new Document(value, { version: "1.1", customTags: withoutMergeKey, aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === "string" && goYamlReadsAsNonString(node.value)) {
        node.type = "QUOTE_DOUBLE";
      }
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/** Multi-document YAML, as `kubectl apply -f` reads it. */
export function toYamlDocuments(values: readonly unknown[]): string {
  return values.map(toYamlDocument).join("---\n");
}
