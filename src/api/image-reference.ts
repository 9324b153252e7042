// Image references, `[registry/]repository[:tag][@digest]`, read three ways:
// split as written, split and checked as written (the consistency check
// compares repositories without registry normalisation, docs/behaviour.md §6.5),
// and read as Kubernetes reads them (the pull-policy default, docs/behaviour.md §2.6).

export interface ImageReference {
  repository: string;
  /** "" when there is none. */
  tag: string;
  /** "" when there is none. */
  digest: string;
}

/**
 * Splits as written, checking nothing: the digest follows the first `@`, the
 * tag the last `:` after the last `/` (a registry port is not a tag).
 */
export function splitImageReference(image: string): ImageReference {
  const at = image.indexOf("@");
  const named = at >= 0 ? image.slice(0, at) : image;
  const digest = at >= 0 ? image.slice(at + 1) : "";
  const colon = named.lastIndexOf(":");
  if (colon <= named.lastIndexOf("/")) return { repository: named, tag: "", digest };
  return { repository: named.slice(0, colon), tag: named.slice(colon + 1), digest };
}

const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const SHA256 = /^sha256:[0-9a-f]{64}$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/**
 * Splits `repo[:tag][@digest]` as written (no registry normalisation, so
 * `nginx` and `docker.io/library/nginx` differ). Null when it is not a reference.
 */
export function parseImageReferenceAsWritten(image: string): ImageReference | null {
  const ref = splitImageReference(image);
  const at = image.indexOf("@");
  if (at >= 0 && (!DIGEST.test(ref.digest) || (ref.digest.startsWith("sha256:") && !SHA256.test(ref.digest)))) return null;
  // A `:` with nothing valid after it is no tag, and no reference.
  const hasTag = ref.repository.length < (at >= 0 ? at : image.length);
  if (hasTag && !TAG.test(ref.tag)) return null;
  if (ref.repository === "" || /\s/.test(ref.repository)) return null;
  return ref;
}

// Read as Kubernetes' ParseImageName reads it (distribution/reference's grammar). Scanned by hand, in one
// pass over the characters: image strings come from users, so the scan must stay linear in their length, and a
// regular-expression engine that guarantees that (RE2) costs a thread several MB of memory to load and to
// compile the grammar, for a SidecarSet's pull-policy default.
const HYPHEN = 0x2d;
const DOT = 0x2e;
const COLON = 0x3a;
const UNDERSCORE = 0x5f;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isLowerAlphanumeric(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x7a);
}

function isAlphanumeric(c: number): boolean {
  return isLowerAlphanumeric(c) || (c >= 0x41 && c <= 0x5a);
}

function isHexOrColon(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) || c === COLON;
}

/** A domain label: letters and digits, with hyphens inside. */
function isDomainLabel(s: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!isAlphanumeric(c) && !(c === HYPHEN && i > from && i < to - 1)) return false;
  }
  return true;
}

/** `host[:port]`: dot-separated labels or a bracketed IPv6 address, then a port of digits if any. */
function isDomain(s: string, from: number, to: number): boolean {
  let hostEnd: number;
  if (s.charCodeAt(from) === 0x5b /* [ */) {
    const close = s.indexOf("]", from);
    if (close < 0 || close >= to || close === from + 1) return false;
    for (let i = from + 1; i < close; i++) if (!isHexOrColon(s.charCodeAt(i))) return false;
    hostEnd = close + 1;
  } else {
    const colon = s.indexOf(":", from);
    hostEnd = colon < 0 || colon > to ? to : colon;
    for (let start = from; ; ) {
      const dot = s.indexOf(".", start);
      const end = dot < 0 || dot > hostEnd ? hostEnd : dot;
      if (!isDomainLabel(s, start, end)) return false;
      if (end === hostEnd) break;
      start = end + 1;
    }
  }
  if (hostEnd === to) return true;
  if (s.charCodeAt(hostEnd) !== COLON || hostEnd + 1 === to) return false;
  for (let i = hostEnd + 1; i < to; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

/** A path component: runs of lower-case letters and digits, separated by `.`, `_`, `__` or hyphens. */
function isPathComponent(s: string, from: number, to: number): boolean {
  let i = from;
  for (;;) {
    const run = i;
    while (i < to && isLowerAlphanumeric(s.charCodeAt(i))) i++;
    if (i === run) return false;
    if (i === to) return true;
    const c = s.charCodeAt(i);
    if (c === DOT) i++;
    else if (c === UNDERSCORE) i += s.charCodeAt(i + 1) === UNDERSCORE && i + 1 < to ? 2 : 1;
    else if (c === HYPHEN) while (i < to && s.charCodeAt(i) === HYPHEN) i++;
    else return false;
  }
}

/** Path components separated by `/`. */
function isRemoteName(s: string, from: number, to: number): boolean {
  for (let start = from; ; ) {
    const slash = s.indexOf("/", start);
    const end = slash < 0 || slash > to ? to : slash;
    if (!isPathComponent(s, start, end)) return false;
    if (end === to) return true;
    start = end + 1;
  }
}

/** The repository path of `[domain/]remote-name`, the domain taken when the first component can be one; undefined when `name` is neither. */
function repositoryPath(name: string): string | undefined {
  const slash = name.indexOf("/");
  if (slash > 0 && isDomain(name, 0, slash) && isRemoteName(name, slash + 1, name.length)) return name.slice(slash + 1);
  return isRemoteName(name, 0, name.length) ? name : undefined;
}

const HEX_IDENTIFIER = /^[a-f0-9]{64}$/;
const SUPPORTED_DIGESTS = /^(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;
const MAX_REPOSITORY_PATH = 255;

export interface KubernetesImageReference {
  /** The tag; `latest` when the reference has neither tag nor digest. */
  tag: string;
  digest: string;
}

/** Docker Hub names without a registry: `nginx` is `docker.io/library/nginx`. */
function splitDockerDomain(name: string): [string, string] {
  const slash = name.indexOf("/");
  if (slash < 0) return ["docker.io", `library/${name}`];
  const maybeDomain = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  let domain = "docker.io";
  let remote = name;
  if (maybeDomain === "index.docker.io") {
    remote = rest;
  } else if (maybeDomain === "localhost" || /[.:]/.test(maybeDomain) || maybeDomain.toLowerCase() !== maybeDomain) {
    [domain, remote] = [maybeDomain, rest];
  }
  if (domain === "docker.io" && !remote.includes("/")) remote = `library/${remote}`;
  return [domain, remote];
}

/** Parses an image reference as Kubernetes does; `undefined` when it is not a valid reference. */
export function parseImageReference(image: string): KubernetesImageReference | undefined {
  if (HEX_IDENTIFIER.test(image)) return undefined;
  const [domain, remainder] = splitDockerDomain(image);
  const colon = remainder.indexOf(":");
  const repository = colon < 0 ? remainder : remainder.slice(0, colon);
  if (repository.toLowerCase() !== repository) return undefined;
  const reference = `${domain}/${remainder}`;
  // The digest follows the first `@`; the tag the last `:` past the last `/` (a port is followed by a `/`).
  const at = reference.indexOf("@");
  const named = at < 0 ? reference : reference.slice(0, at);
  const digest = at < 0 ? "" : reference.slice(at + 1);
  if (at >= 0 && !SUPPORTED_DIGESTS.test(digest)) return undefined;
  const tagColon = named.lastIndexOf(":");
  const hasTag = tagColon > named.lastIndexOf("/");
  const tag = hasTag ? named.slice(tagColon + 1) : "";
  if (hasTag && !TAG.test(tag)) return undefined;
  const path = repositoryPath(hasTag ? named.slice(0, tagColon) : named);
  if (path === undefined || path.length > MAX_REPOSITORY_PATH) return undefined;
  return { tag: tag === "" && digest === "" ? "latest" : tag, digest };
}
