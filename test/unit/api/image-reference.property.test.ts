// The hand-written scan of image references (src/api/image-reference.ts) against distribution/reference's
// grammar written as the regular expressions Kubernetes matches, run by RE2 with Go's submatch rules.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { RE2JS } from "re2js";
import { parseImageReference, type KubernetesImageReference } from "../../../src/api/image-reference.js";

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN_AND_PORT = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}";
const REFERENCE = RE2JS.compile(`^((?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const NAME = RE2JS.compile(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})$`);

/** Kubernetes' reading, step by step as ParseImageName takes it, with the grammar matched by RE2. */
function byGrammar(image: string): KubernetesImageReference | undefined {
  if (/^[a-f0-9]{64}$/.test(image)) return undefined;
  const slash = image.indexOf("/");
  let domain = "docker.io";
  let remote = image;
  if (slash >= 0) {
    const first = image.slice(0, slash);
    if (first === "index.docker.io") remote = image.slice(slash + 1);
    else if (first === "localhost" || /[.:]/.test(first) || first.toLowerCase() !== first) [domain, remote] = [first, image.slice(slash + 1)];
  }
  if (domain === "docker.io" && !remote.includes("/")) remote = `library/${remote}`;
  const colon = remote.indexOf(":");
  const repository = colon < 0 ? remote : remote.slice(0, colon);
  if (repository.toLowerCase() !== repository) return undefined;
  const m = REFERENCE.matcher(`${domain}/${remote}`);
  if (!m.matches()) return undefined;
  const name = NAME.matcher(m.group(1) ?? "");
  const path = name.matches() ? (name.group(2) ?? "") : (m.group(1) ?? "");
  if (path.length > 255) return undefined;
  const tag = m.group(2) ?? "";
  const digest = m.group(3) ?? "";
  if (digest !== "" && !/^(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/.test(digest)) return undefined;
  return { tag: tag === "" && digest === "" ? "latest" : tag, digest };
}

const HEX64 = "0123456789abcdef".repeat(4);
/** Pieces that reach every branch of the grammar: separators, ports, IPv6 hosts, tags and digests. */
const piece = fc.constantFrom(
  "a", "b", "z", "0", "9", "A", "Z", "f", "-", "--", ".", "_", "__", "___", ":", "/", "@", "[", "]", "::1", "[::1]",
  "localhost", "index.docker.io", "docker.io", "reg.io", ":5000", "library", "v1.2", "latest", "+",
  `sha256:${HEX64}`, `sha384:${HEX64}${HEX64.slice(0, 32)}`, `sha512:${HEX64}${HEX64}`, "sha256:abc", `SHA256:${HEX64}`, HEX64, "a".repeat(130), " ",
);

test("image references read as the grammar Kubernetes matches them (RE2) reads them: pieces of references", () => {
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }).map((p) => p.join("")), (image) => {
      assert.deepEqual(parseImageReference(image), byGrammar(image));
    }),
    { numRuns: 20_000 },
  );
});

test("image references read as the grammar Kubernetes matches them (RE2) reads them: name, tag and digest", () => {
  // Mostly what valid references are made of, now and then anything.
  const namePiece = fc.oneof({ arbitrary: fc.constantFrom("a", "b", "0", "9", "-", ".", "_", "__", "reg.io", "localhost", ":5000", "library", "v1.2", "V"), weight: 6 }, { arbitrary: piece, weight: 1 });
  const part = fc.array(namePiece, { minLength: 1, maxLength: 6 }).map((p) => p.join(""));
  const digest = fc.constantFrom(`sha256:${HEX64}`, `sha512:${HEX64}${HEX64}`, `sha256:${HEX64}0`, `sha1:${HEX64}`, "sha256:", "");
  const image = fc
    .tuple(part, fc.option(part), fc.option(part), fc.option(digest))
    .map(([first, rest, tag, dig]) => `${first}${rest === null ? "" : `/${rest}`}${tag === null ? "" : `:${tag}`}${dig === null ? "" : `@${dig}`}`);
  fc.assert(
    fc.property(image, (i) => {
      assert.deepEqual(parseImageReference(i), byGrammar(i));
    }),
    { numRuns: 10_000 },
  );
});

test("image references read as the grammar Kubernetes matches them (RE2) reads them: any text", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.string({ maxLength: 20, unit: "binary" })), (image) => {
      assert.deepEqual(parseImageReference(image), byGrammar(image));
    }),
    { numRuns: 5_000 },
  );
});

test("image references at the grammar's edges read as the grammar reads them", () => {
  const cases = [
    "nginx", "nginx:1.25", "library/nginx:latest", "docker.io/library/nginx", "index.docker.io/nginx", "localhost/a", "localhost:5000/a:b",
    "[::1]:5000/a", "[::1]/a", "[]/a", "[::1]:/a", "reg.io:/a", "-reg.io/a", "reg-.io/a", "reg..io/a", "re_g.io/a", "Reg.io/a", "REG/a",
    "a__b", "a___b", "a._b", "a--b", "a-", "_a", "a/b/", "a//b", "a:", "a@", `a@sha256:${HEX64}`, `a:v@sha256:${HEX64}`, `a@sha256:${HEX64}@x`,
    "a:b:c", "reg.io:5000", "reg.io:5000:1", `x${"a".repeat(254)}`, `x${"a".repeat(255)}`, `reg.io/${"a".repeat(255)}`, `a:${"t".repeat(128)}`, `a:${"t".repeat(129)}`,
    HEX64, `${HEX64}:1`, "a b", "", ":", "/", "@",
  ];
  for (const image of cases) assert.deepEqual(parseImageReference(image), byGrammar(image), image);
});
