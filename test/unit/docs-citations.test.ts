// Code, tests and documents cite the behaviour reference as
// `docs/behaviour.md §N.M` (in docs/ also as a link to `behaviour.md#anchor`).
// These tests keep every citation pointing at a section that exists, and keep
// the old form (the word SPEC, a space and a section sign), which named a document outside the repository, out.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const reference = join(root, "docs", "behaviour.md");

const SCANNED = ["src", "test", "bench", "docs", "hack", "examples", "deploy", "README.md"];
const TEXT_FILE = /\.(ts|js|mjs|md|ya?ml|json|sh|go|txt|tpl)$/;
const SKIPPED_DIRS = new Set(["node_modules", "dist", ".git"]);

function files(path: string): string[] {
  let entries;
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    return TEXT_FILE.test(path) ? [path] : [];
  }
  return entries
    .flatMap((e) => {
      const p = join(path, e.name);
      if (e.isDirectory()) return SKIPPED_DIRS.has(e.name) ? [] : files(p);
      return TEXT_FILE.test(e.name) ? [p] : [];
    })
    .sort();
}

interface Line {
  file: string;
  line: number;
  text: string;
}

/** This file names the forms it checks, so it is left out. */
const self = fileURLToPath(import.meta.url);

function lines(): Line[] {
  return SCANNED.flatMap((p) => files(join(root, p)))
    .filter((file) => file !== self)
    .flatMap((file) =>
    readFileSync(file, "utf8")
      .split("\n")
      .map((text, i) => ({ file: relative(root, file), line: i + 1, text })),
  );
}

const referenceText = readFileSync(reference, "utf8");

/** Section numbers of the reference's headings: `## 7a. Beyond …` gives 7a, `### 2.1 Resource` gives 2.1. */
const sections = new Set(
  [...referenceText.matchAll(/^#{2,3} (\d+[a-z]?(?:\.\d+)?)\.? /gm)].map((m) => m[1]),
);

/** The anchors GitHub gives a document's headings. */
function headingAnchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      (m[1] ?? "")
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-"),
    ),
  );
}

const anchors = headingAnchors(referenceText);

/** The section numbers a line cites: every §N.M after its first `docs/behaviour.md §`. */
function citedSections(text: string): string[] {
  const at = text.indexOf("docs/behaviour.md §");
  if (at < 0) return [];
  return [...text.slice(at).matchAll(/§(\d+[a-z]?(?:\.\d+)?)/g)].map((m) => m[1] ?? "");
}

const where = (l: Line) => `${l.file}:${l.line}: ${l.text.trim()}`;

test("the reference has every top-level section, §0 to §9, and §7a", () => {
  for (const s of ["0", "1", "2", "3", "4", "5", "6", "7", "7a", "8", "9"]) assert.ok(sections.has(s), `§${s} missing`);
});

test("no file cites the outside specification document by section", () => {
  // Built from parts, so that this file does not cite it either.
  const old = ["SPEC", "§"].join(" ");
  const found = lines().filter((l) => l.text.includes(old)).map(where);
  assert.deepEqual(found, [], `cite docs/behaviour.md §N.M instead:\n${found.join("\n")}`);
});

test("every docs/behaviour.md §N.M citation names a section of docs/behaviour.md", () => {
  const all = lines();
  let count = 0;
  const broken: string[] = [];
  for (const l of all) {
    for (const s of citedSections(l.text)) {
      count++;
      if (!sections.has(s)) broken.push(`§${s} in ${where(l)}`);
    }
  }
  assert.ok(count > 50, `expected the code to cite the reference, found ${count} citations`);
  assert.deepEqual(broken, [], `no such section in docs/behaviour.md:\n${broken.join("\n")}`);
});

test("every link to behaviour.md#anchor lands on a heading", () => {
  const broken: string[] = [];
  for (const l of lines()) {
    for (const m of l.text.matchAll(/behaviour\.md#([^)\s]+)/g)) {
      if (!anchors.has(decodeURIComponent(m[1] ?? ""))) broken.push(`#${m[1]} in ${where(l)}`);
    }
  }
  assert.deepEqual(broken, [], `no such heading in docs/behaviour.md:\n${broken.join("\n")}`);
});

test("links from docs/behaviour.md to other documents' headings land", () => {
  const broken: string[] = [];
  for (const [, file = "", anchor = ""] of referenceText.matchAll(/\]\(([\w./-]+\.md)#([^)]+)\)/g)) {
    const headings = headingAnchors(readFileSync(join(root, "docs", file), "utf8"));
    if (!headings.has(anchor)) broken.push(`${file}#${anchor}`);
  }
  assert.deepEqual(broken, [], `broken links in docs/behaviour.md:\n${broken.join("\n")}`);
});
