// Image references, `[registry/]repository[:tag][@digest]`, read three ways:
// split as written, split and checked as written (the consistency check
// compares repositories without registry normalisation, docs/behaviour.md §6.5),
// and read as Kubernetes reads them (the pull-policy default, docs/behaviour.md §2.6).
import type { RE2JS } from "re2js";
import { re2 } from "./re2.js";

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

// Read as Kubernetes' ParseImageName reads it (distribution/reference).
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN_AND_PORT = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG_SYNTAX = "[\\w][\\w.-]{0,127}";
const DIGEST_SYNTAX = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}";
// RE2 (linear time, Go's submatch rules): image strings come from users.
// Compiled when first used (re2.ts): a pod admission never reads an image reference this way.
let referencePatterns: { reference: RE2JS; name: RE2JS } | undefined;
function patterns(): { reference: RE2JS; name: RE2JS } {
  return (referencePatterns ??= {
    reference: re2().compile(`^((?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME})(?::(${TAG_SYNTAX}))?(?:@(${DIGEST_SYNTAX}))?$`),
    name: re2().compile(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})$`),
  });
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
  const { reference, name: nameOnly } = patterns();
  const m = reference.matcher(`${domain}/${remainder}`);
  if (!m.matches()) return undefined;
  const name = nameOnly.matcher(m.group(1) ?? "");
  const path = name.matches() ? (name.group(2) ?? "") : (m.group(1) ?? "");
  if (path.length > MAX_REPOSITORY_PATH) return undefined;
  const tag = m.group(2) ?? "";
  const digest = m.group(3) ?? "";
  if (digest !== "" && !SUPPORTED_DIGESTS.test(digest)) return undefined;
  return { tag: tag === "" && digest === "" ? "latest" : tag, digest };
}
