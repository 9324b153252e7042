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

export function checkDns1123Subdomain(v: string, what = "name"): string | undefined {
  if (v.length > 253) return `${q(v)} is ${v.length} characters long; a ${what} has at most 253`;
  if (!DNS1123_SUBDOMAIN.test(v)) {
    return `${q(v)} is not a valid ${what}; use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. "example.com")`;
  }
  return undefined;
}

/** A label or annotation key: `[prefix/]name`, prefix a DNS subdomain, name at most 63 characters. */
export function checkQualifiedName(v: string, what = "key"): string | undefined {
  const parts = v.split("/");
  let name = v;
  if (parts.length > 2) return `${q(v)} is not a valid ${what}; it may contain at most one '/' (prefix/name)`;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix === "") return `${q(v)} is not a valid ${what}; the prefix before '/' must not be empty`;
    const bad = checkDns1123Subdomain(prefix, "prefix");
    if (bad) return `${q(v)} is not a valid ${what}: its prefix ${bad}`;
  }
  if (name === "") return `${q(v)} is not a valid ${what}; the name part must not be empty`;
  if (name.length > 63) return `${q(v)} is not a valid ${what}; the name part has ${name.length} characters, at most 63 are allowed`;
  if (!QUALIFIED_NAME_PART.test(name)) {
    return `${q(v)} is not a valid ${what}; use letters, digits, '-', '_' and '.', starting and ending with a letter or digit, optionally after a DNS prefix and '/' (e.g. "app", "example.com/app")`;
  }
  return undefined;
}

export function checkLabelValue(v: string): string | undefined {
  if (v.length > 63) return `${q(v)} is ${v.length} characters long; a label value has at most 63`;
  if (!LABEL_VALUE.test(v)) {
    return `${q(v)} is not a valid label value; use letters, digits, '-', '_' and '.', starting and ending with a letter or digit, or leave it empty`;
  }
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
