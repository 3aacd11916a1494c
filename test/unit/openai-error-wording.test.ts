/**
 * An OpenAI-compatible server's error says its status once: a proxy's 429 or 502 without the
 * `{"error": {"message"}}` body used to read "(429: 429 Too Many Requests)".
 */
import * as sdk from "openai";
import { describe, expect, it } from "vitest";
import { describeOpenAIError } from "../../src/llm/openai-errors.js";

const URL = "http://127.0.0.1:9/v1";
const describeIt = (e: unknown) => describeOpenAIError(e, URL, "local-model", sdk);

describe("OpenAI-compatible errors name their status once", () => {
  it("a 429 whose body is not the API's error object (a proxy's plain text)", () => {
    const err = describeIt(sdk.APIError.generate(429, undefined, "Too Many Requests", new Headers({ "retry-after": "2" })));
    expect(err.message).toBe(`the server at ${URL} is rate limiting (429: Too Many Requests)`);
    expect(err.retryAfterMs).toBe(2000);
  });

  it("a 502 with no body", () => {
    const err = describeIt(sdk.APIError.generate(502, undefined, undefined, new Headers()));
    expect(err.message).toBe(`the server at ${URL} failed (502: no body)`);
  });

  it("the API's own error message is kept as it is", () => {
    const err = describeIt(sdk.APIError.generate(429, { error: { message: "Rate limit reached for requests" } }, undefined, new Headers()));
    expect(err.message).toBe(`the server at ${URL} is rate limiting (429: Rate limit reached for requests)`);
    const notFound = describeIt(sdk.APIError.generate(404, { error: { message: "The model `x` does not exist" } }, undefined, new Headers()));
    expect(notFound.message).toBe(`the server at ${URL} has no model "local-model" (404: The model \`x\` does not exist)`);
  });
});
