import { describe, expect, it } from "vitest";
import { partialMessage } from "../../src/worker/partial-json.js";

describe("partialMessage()", () => {
  it("returns the whole message of complete JSON", () => {
    expect(partialMessage('{"message": "Hello there.", "sentiment": 0.4}')).toBe("Hello there.");
    expect(partialMessage('{"message":"compact"}')).toBe("compact");
    expect(partialMessage('{\n  "message" :\n  "spaced out"\n}')).toBe("spaced out");
  });

  it("returns what there is when the JSON is cut mid-string", () => {
    expect(partialMessage('{"message": "Hello, I was wonder')).toBe("Hello, I was wonder");
    expect(partialMessage('{"message": "')).toBe("");
  });

  it("returns an empty string while the field has not started", () => {
    expect(partialMessage("")).toBe("");
    expect(partialMessage("{")).toBe("");
    expect(partialMessage('{"mess')).toBe("");
    expect(partialMessage('{"message"')).toBe("");
    expect(partialMessage('{"message": ')).toBe("");
  });

  it("returns an empty string when the field is absent", () => {
    expect(partialMessage('{"sentiment": 0.2, "references": []}')).toBe("");
    expect(partialMessage('{"old_message": "not this one"}')).toBe("");
    expect(partialMessage('{"text": "the word \\"message\\": \\"here\\" is quoted"}')).toBe("");
  });

  it("finds the field when it is not first", () => {
    expect(partialMessage('{"sentiment": -0.5, "references": ["a"], "message": "third"}')).toBe("third");
    expect(partialMessage('{"end_conversation": true, "message": "bye, cut he')).toBe("bye, cut he");
  });

  it("decodes escaped quotes and backslashes", () => {
    expect(partialMessage(JSON.stringify({ message: 'She said "no".' }))).toBe('She said "no".');
    expect(partialMessage(JSON.stringify({ message: "C:\\temp\\new" }))).toBe("C:\\temp\\new");
    expect(partialMessage(JSON.stringify({ message: 'ends with a backslash \\' }))).toBe("ends with a backslash \\");
    expect(partialMessage('{"message": "a\\/b"}')).toBe("a/b");
  });

  it("decodes \\n, \\t, \\r and \\u escapes", () => {
    expect(partialMessage('{"message": "line 1\\nline 2\\ttab\\r"}')).toBe("line 1\nline 2\ttab\r");
    expect(partialMessage('{"message": "caf\\u00e9 \\u00C9t\\u00e9"}')).toBe("café Été");
    expect(partialMessage('{"message": "smile \\ud83d\\ude00"}')).toBe("smile 😀");
  });

  it("stops before an escape that is cut in the middle", () => {
    expect(partialMessage('{"message": "abc\\')).toBe("abc");
    expect(partialMessage('{"message": "caf\\u')).toBe("caf");
    expect(partialMessage('{"message": "caf\\u00')).toBe("caf");
    expect(partialMessage('{"message": "caf\\u00e')).toBe("caf");
    expect(partialMessage('{"message": "caf\\u00e9')).toBe("café");
  });

  it("every cut of a real reply gives a prefix of the full message, and the whole reply gives all of it", () => {
    const content = {
      sentiment: 0.1,
      references: ["rate"],
      message: 'Well — "fixed" at 3.5%?\nPath: C:\\loans\\2026\tdone. Café, naïve, 😀 \u0001 end',
      end_conversation: false,
    };
    const text = JSON.stringify(content);
    let previous = "";
    for (let cut = 0; cut <= text.length; cut++) {
      const got = partialMessage(text.slice(0, cut));
      expect(content.message.startsWith(got), `cut at ${cut}: ${JSON.stringify(got)}`).toBe(true);
      // the text shown while streaming never shrinks
      expect(got.length).toBeGreaterThanOrEqual(previous.length);
      previous = got;
    }
    expect(partialMessage(text)).toBe(content.message);
  });

  it("agrees with JSON.parse on messages built by JSON.stringify", () => {
    const messages = ["", " ", "\"", "\\", "\\\"", "\u2028\u2029", "tab\there", "\u0000nul", "日本語のテキスト", "}{][,:"];
    for (const message of messages) {
      expect(partialMessage(JSON.stringify({ message }))).toBe(message);
      expect(partialMessage(JSON.stringify({ references: [message], message }))).toBe(message);
    }
  });
});
