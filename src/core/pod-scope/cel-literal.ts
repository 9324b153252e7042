// CEL string literals for the pod webhook's match condition (docs/behaviour.md §7a.2).
// Label keys and values come from SidecarSets anyone with write access may
// create, so every one of them is written as a quoted literal that cannot end
// early or change the expression around it, whatever characters it holds.

/**
 * `value` as a single-quoted CEL string literal of printable ASCII only:
 * quote and backslash escaped, every other character outside space..tilde
 * written as a \u or \U escape. Undefined for a string that is not valid
 * Unicode (a lone UTF-16 surrogate), which no CEL string can hold.
 */
export function celStringLiteral(value: string): string | undefined {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) return undefined;
    if (ch === "'" || ch === "\\") out += `\\${ch}`;
    else if (code >= 0x20 && code <= 0x7e) out += ch;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += `\\U${code.toString(16).padStart(8, "0")}`;
  }
  return `${out}'`;
}
