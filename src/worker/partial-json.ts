/**
 * The text of the "message" field from a JSON object that may be cut off mid-way, e.g.
 * `{"message": "Hello, I was wonder` -> `Hello, I was wonder`. Used for cut turns and for
 * showing a reply while it streams. Returns "" when the field has not started.
 */
export function partialMessage(text: string): string {
  const m = /"message"\s*:\s*"/.exec(text);
  if (!m) return "";
  let out = "";
  for (let i = m.index + m[0].length; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') return out;
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined) return out;
    i++;
    if (next === "n") out += "\n";
    else if (next === "t") out += "\t";
    else if (next === "r") out += "\r";
    else if (next === "b" || next === "f") out += "";
    else if (next === "u") {
      const hex = text.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) return out;
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 4;
    } else out += next;
  }
  return out;
}
