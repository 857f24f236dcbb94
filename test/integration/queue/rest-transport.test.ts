/**
 * The REST transport against the Upstash-compatible endpoint in front of
 * the real Redis: replies, scripts, batches, and every HTTP fault.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConnectionError } from "../../../src/common/errors.js";
import { defineScript } from "../../../src/queue/index.js";
import {
  createRestTransport,
  RequestTooLargeError,
  type RestTransportOptions,
} from "../../../src/queue/transports/rest.js";
import {
  startRestServer,
  type RestServer,
} from "../../fixtures/rest-server.js";
import {
  REDIS_URL,
  uniquePrefix,
  deleteByPattern,
} from "../../helpers/redis.js";

const TOKEN = "rest-transport-token-7c1e";

describe("REST transport", () => {
  let server: RestServer;
  const prefix = uniquePrefix("rest-transport");
  const key = (name: string) => `${prefix}:${name}`;
  const opened: { close(): Promise<void> }[] = [];

  const open = (overrides: Partial<RestTransportOptions> = {}) => {
    const transport = createRestTransport({
      url: server.url,
      token: TOKEN,
      persistent: false,
      ...overrides,
    });
    opened.push(transport);
    return transport;
  };

  beforeAll(async () => {
    server = await startRestServer({ redisUrl: REDIS_URL, token: TOKEN });
  });
  afterEach(async () => {
    Object.assign(server.faults, {
      fail429Every: 0,
      loseReplyEvery: 0,
      failNext: undefined,
      hang: false,
      maxBodyBytes: 0,
      tooLargeStatus: 400,
    });
    await deleteByPattern(open(), `${prefix}:*`);
    await Promise.all(opened.splice(0).map((t) => t.close()));
  });
  afterAll(() => server?.close());

  it("returns Redis replies as the TCP transport does", async () => {
    const rest = open();

    expect(await rest.command("RPUSH", key("l"), "a", "b", 3)).toBe(3);
    expect(await rest.command("LRANGE", key("l"), 0, -1)).toEqual([
      "a",
      "b",
      "3",
    ]);
    expect(await rest.command("GET", key("missing"))).toBeNull();
    expect(await rest.command("SET", key("s"), '{"x":"ñ"}')).toBe("OK");
    expect(await rest.command("GET", key("s"))).toBe('{"x":"ñ"}');
    await expect(rest.command("LPUSH", key("s"), "x")).rejects.toThrow(
      /^WRONGTYPE/,
    );
    expect(rest.kind).toBe("rest");
    expect(rest.target).toBe(new URL(server.url).host);
  });

  it("runs pipelines and transactions in one request each", async () => {
    const rest = open();
    const before = rest.stats().requests;

    const piped = await rest.pipeline([
      ["SET", key("a"), "1"],
      ["INCR", key("a")],
    ]);
    const multi = await rest.transaction([
      ["INCR", key("a")],
      ["GET", key("a")],
    ]);

    expect(piped).toEqual(["OK", 2]);
    expect(multi).toEqual([3, "3"]);
    expect(rest.stats().requests - before).toBe(2);
    await expect(
      rest.pipeline([
        ["INCR", key("a")],
        ["LPUSH", key("a"), "x"],
      ]),
    ).rejects.toThrow(/^WRONGTYPE/);
  });

  it("runs a script by SHA and falls back to EVAL once on NOSCRIPT", async () => {
    const rest = open();
    const script = defineScript(
      "echo",
      `-- ${prefix}\nreturn {KEYS[1], ARGV[1]}`,
    );

    const first = await rest.script(script, [key("k")], ["v"]);
    const afterFirst = rest.stats().requests;
    const second = await rest.script(script, [key("k")], ["w"]);

    expect(first).toEqual([key("k"), "v"]);
    expect(second).toEqual([key("k"), "w"]);
    expect(afterFirst).toBe(2);
    expect(rest.stats().requests).toBe(3);
  });

  it("stops at once on a refused token, exit 3, without showing it", async () => {
    const rest = open({ token: "wrong-token-secret" });

    const error = await rest.command("PING").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).exitCode).toBe(3);
    expect((error as Error).message).toMatch(/refused the token \(HTTP 401\)/);
    expect((error as Error).message).not.toContain("wrong-token-secret");
    expect(rest.stats().requests).toBe(1);
  });

  it("retries 429 and 5xx with backoff and then succeeds", async () => {
    const rest = open();
    server.faults.failNext = { status: 503, count: 2 };

    expect(await rest.command("PING")).toBe("PONG");
    // A 5xx may have run the request: counted as uncertain; a 429 did not.
    expect(rest.stats()).toEqual({ requests: 3, uncertain: 2 });

    server.faults.fail429Every = 2;
    for (let i = 0; i < 10; i++) await rest.command("INCR", key("n"));
    expect(await rest.command("GET", key("n"))).toBe("10");
    expect(rest.stats().uncertain).toBe(2);
  });

  it("gives up after a bounded number of attempts in one-shot mode", async () => {
    const rest = open();
    server.faults.failNext = { status: 500, count: 100 };

    const error = await rest.command("PING").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/HTTP 500 \(3 attempts\)/);
    expect(rest.stats().requests).toBe(3);
  });

  it("treats a request without answer as transient: timeout, then retry", async () => {
    const rest = open({ timeoutMs: 200 });
    server.faults.hang = true;

    const started = Date.now();
    const error = await rest.command("PING").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/no answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("keeps retrying in persistent mode and reports lost and restored", async () => {
    const events: string[] = [];
    const rest = open({
      timeoutMs: 200,
      persistent: true,
      onLost: (reason) => events.push(`lost: ${reason}`),
      onRestored: () => events.push("restored"),
    });
    server.faults.hang = true;

    const reply = rest.command("PING");
    await waitUntil(() => events.length > 0);
    server.faults.hang = false;

    expect(await reply).toBe("PONG");
    expect(events).toEqual(["lost: no answer within 200 ms", "restored"]);
  });

  it("refuses an oversized request before sending it", async () => {
    const rest = open({ maxRequestBytes: 1000 });

    const error = await rest
      .command("SET", key("big"), "x".repeat(2000))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RequestTooLargeError);
    expect((error as Error).message).toMatch(
      /request of 2 KiB is over the 1 KiB limit of .*; nothing was sent/,
    );
    expect(rest.stats().requests).toBe(0);
    expect(await rest.command("EXISTS", key("big"))).toBe(0);
  });

  it.each([
    [400, /as too large \(ERR max request size exceeded\)/],
    [413, /as too large \(HTTP 413\)/],
  ])(
    "reports an endpoint's refusal (%i) as too large, not as a truncation",
    async (status, message) => {
      const rest = open();
      Object.assign(server.faults, {
        maxBodyBytes: 1000,
        tooLargeStatus: status,
      });

      const error = await rest
        .command("SET", key("big"), "x".repeat(2000))
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(RequestTooLargeError);
      expect((error as Error).message).toMatch(message);
      server.faults.maxBodyBytes = 0;
      expect(await rest.command("EXISTS", key("big"))).toBe(0);
    },
  );

  it("fails fast once closed", async () => {
    const rest = open();
    await rest.close();

    await expect(rest.command("PING")).rejects.toThrow(/is closed/);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
