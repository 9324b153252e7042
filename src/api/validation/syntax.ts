// Kubernetes name syntaxes (k8s.io/apimachinery/pkg/util/validation). Each
// check returns undefined when the value is fine, else one sentence saying
// what is wrong and what is allowed.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;
const HTTP_HEADER_NAME = /^[-A-Za-z0-9]+$/;
const PORT_NAME_CHARS = /^[-a-z0-9]+$/;

const q = (v: string): string => JSON.stringify(v);

export function checkDns1123Label(v: string, what = "name"): string | undefined {
  if (v.length > 63) return `${q(v)} is ${v.length} characters long; a ${what} has at most 63`;
  if (!DNS1123_LABEL.test(v)) {
    return `${q(v)} is not a valid ${what}; use lower-case letters, digits and '-', starting and ending with a letter or digit (e.g. "log-agent")`;
  }
  return undefined;
}

// The sentences after the colon are Kubernetes' own (apimachinery's
// validation messages), so a value reads the same whether the API server or
// this validation refused it.
const SUBDOMAIN_RULE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const NAME_PART_RULE = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_RULE = `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
const KEY_EXAMPLES = `(e.g. "app", "example.com/app")`;

export function checkDns1123Subdomain(v: string, what = "name"): string | undefined {
  if (v.length > 253) return `${q(v)} is not a valid ${what}: must be no more than 253 characters (it has ${v.length})`;
  if (!DNS1123_SUBDOMAIN.test(v)) return `${q(v)} is not a valid ${what}: ${SUBDOMAIN_RULE} (e.g. "example.com")`;
  return undefined;
}

/**
 * A label or annotation key: `[prefix/]name`, prefix a DNS subdomain, name at
 * most 63 characters. `caseless`: checked lower-cased, as annotation keys are.
 */
export function checkQualifiedName(v: string, what = "key", caseless = false): string | undefined {
  const parts = (caseless ? v.toLowerCase() : v).split("/");
  let name = parts[0]!;
  const invalid = `${q(v)} is not a valid ${what}:`;
  if (parts.length > 2) {
    return `${invalid} a valid label key ${NAME_PART_RULE}, with an optional DNS subdomain prefix and '/' ${KEY_EXAMPLES}`;
  }
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix === "") return `${invalid} prefix part must be non-empty ${KEY_EXAMPLES}`;
    if (prefix.length > 253) return `${invalid} prefix part must be no more than 253 bytes (it has ${prefix.length})`;
    if (!DNS1123_SUBDOMAIN.test(prefix)) return `${invalid} prefix part ${SUBDOMAIN_RULE} ${KEY_EXAMPLES}`;
  }
  if (name === "") return `${invalid} name part must be non-empty ${KEY_EXAMPLES}`;
  if (name.length > 63) return `${invalid} name part must be no more than 63 bytes (it has ${name.length})`;
  if (!QUALIFIED_NAME_PART.test(name)) return `${invalid} name part ${NAME_PART_RULE} ${KEY_EXAMPLES}`;
  return undefined;
}

export function checkLabelValue(v: string): string | undefined {
  if (v.length > 63) return `${q(v)} is not a valid label value: must be no more than 63 bytes (it has ${v.length})`;
  if (!LABEL_VALUE.test(v)) return `${q(v)} is not a valid label value: ${LABEL_VALUE_RULE} (e.g. "web", "team_a", "12345")`;
  return undefined;
}

/** An IANA service name, as container port names must be. */
export function checkPortName(v: string): string | undefined {
  if (v.length > 15) return `${q(v)} is ${v.length} characters long; a port name has at most 15`;
  if (!PORT_NAME_CHARS.test(v) || !/[a-z]/.test(v) || v.includes("--") || v.startsWith("-") || v.endsWith("-")) {
    return `${q(v)} is not a valid port name; use lower-case letters, digits and single '-' (not at either end), with at least one letter (e.g. "http")`;
  }
  return undefined;
}

export function checkEnvVarName(v: string): string | undefined {
  if (!ENV_VAR_NAME.test(v)) {
    return `${q(v)} is not a valid environment variable name; use letters, digits, '_', '-' and '.', not starting with a digit`;
  }
  return undefined;
}

export function checkConfigMapKey(v: string): string | undefined {
  if (v.length > 253) return `${q(v)} is ${v.length} characters long; a key has at most 253`;
  if (!CONFIG_MAP_KEY.test(v) || v === "." || v === ".." || v.startsWith("..")) {
    return `${q(v)} is not a valid key; use letters, digits, '-', '_' and '.', not "." or ".." or starting with ".."`;
  }
  return undefined;
}

export function checkHttpHeaderName(v: string): string | undefined {
  return HTTP_HEADER_NAME.test(v) ? undefined : `${q(v)} is not a valid HTTP header name; use letters, digits and '-'`;
}

/** A relative path without `..` elements (subPath, items[].path). */
export function checkRelativePath(v: string): string | undefined {
  if (v.startsWith("/")) return `${q(v)} is an absolute path; it must be relative`;
  if (v.split(/[\\/]/).includes("..")) return `${q(v)} contains '..'; it must stay inside the volume`;
  return undefined;
}
