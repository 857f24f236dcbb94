import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/common/config.js";
import { ConfigError } from "../../../src/common/errors.js";
import { redact } from "../../../src/common/redact.js";

function errorOf(env: NodeJS.ProcessEnv, flags = {}): string {
  try {
    loadConfig(env, flags);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  return "";
}

describe("loadConfig", () => {
  it("uses the documented defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      redisUrl: "redis://127.0.0.1:6379",
      prefix: "cola:batch",
      databaseUrl: undefined,
      functions: { generar_reporte: "batch.generar_reporte" },
    });
  });

  it("lets flags override the environment", () => {
    const env = { BATCH_QUEUE_PREFIX: "a", REDIS_URL: "redis://h:1" };
    const config = loadConfig(env, { prefix: "b" });
    expect(config.prefix).toBe("b");
    expect(config.redisUrl).toBe("redis://h:1");
  });

  it.each([
    [
      { REDIS_URL: "http://x" },
      {},
      "REDIS_URL: must be a URL starting with redis://",
    ],
    [{}, { redisUrl: "nope" }, "--redis-url: must be a URL"],
    [
      { DATABASE_URL_BATCH: "mysql://x" },
      {},
      "DATABASE_URL_BATCH: must be a URL starting with postgresql://",
    ],
    [{ BATCH_QUEUE_PREFIX: "a b" }, {}, "BATCH_QUEUE_PREFIX: must be"],
    [
      { BATCH_FN_GENERAR_REPORTE: "x; drop table" },
      {},
      "BATCH_FN_GENERAR_REPORTE: must be a function name",
    ],
    [
      { REDIS_REST_URL: "https://r.example" },
      {},
      "REDIS_REST_TOKEN: is required",
    ],
    [{ LOG_LEVEL: "loud" }, {}, "LOG_LEVEL:"],
    [
      { BATCH_PG_PREPARE: "sometimes" },
      {},
      "BATCH_PG_PREPARE: must be on or off",
    ],
  ])("refuses %j %j with one line naming it", (env, flags, expected) => {
    const message = errorOf(env, flags);
    expect(message).toContain(expected);
    expect(message).not.toContain("\n");
  });

  it.each([
    [undefined, true],
    ["", true],
    [" \n", true],
    ["on", true],
    [" OFF ", false],
    ["no", false],
    ["0", false],
    ["true", true],
  ])("reads BATCH_PG_PREPARE=%j as %j", (value, expected) => {
    const env = value === undefined ? {} : { BATCH_PG_PREPARE: value };

    expect(loadConfig(env).pgPrepare).toBe(expected);
  });

  it("reads function names for existing databases", () => {
    const config = loadConfig({
      BATCH_FN_NOTIFICAR_TICKET_CREADO: "app.notify",
    });
    expect(config.functions.notificar_ticket_creado).toBe("app.notify");
  });

  it("registers passwords and tokens so that they are redacted", () => {
    loadConfig({
      DATABASE_URL_BATCH: "postgresql://u:s3cretPw@h/db",
      REDIS_URL: "redis://:r3disPw@h:6379",
    });
    expect(redact("url postgresql://u:s3cretPw@h/db and r3disPw")).toBe(
      "url postgresql://u:***@h/db and ***",
    );
  });
});
