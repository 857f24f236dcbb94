/**
 * The redactor is process-wide: each test registers secrets of its own,
 * which never collide with another test's text.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  displayUrl,
  guardStream,
  redact,
  registerSecret,
  registerStartupSecrets,
  registerUrlSecrets,
} from "../../../src/common/redact.js";

describe("redact", () => {
  it("hides a secret as given, percent-decoded and JSON-escaped", () => {
    registerUrlSecrets("redis://:qu%22ote%40pw@h:6379");
    const decoded = 'qu"ote@pw';

    expect(redact("raw qu%22ote%40pw")).toBe("raw ***");
    expect(redact(`plain ${decoded}`)).toBe("plain ***");
    expect(redact(JSON.stringify({ reason: `bad ${decoded}` }))).toBe(
      JSON.stringify({ reason: "bad ***" }),
    );
  });

  it("hides secrets passed as query parameters", () => {
    registerUrlSecrets(
      "postgresql://u@h/db?sslmode=require&password=qp%2Bsecret1",
    );
    registerUrlSecrets("https://rest.example/?_token=tok-in-query-7");

    expect(redact("p qp%2Bsecret1 qp+secret1")).toBe("p *** ***");
    expect(redact("t tok-in-query-7")).toBe("t ***");
    expect(redact("sslmode=require")).toBe("sslmode=require");
  });

  it("hides the longer of two overlapping secrets whole", () => {
    registerSecret("overlap-abc");
    registerSecret("overlap-abcdef");
    expect(redact("x overlap-abcdef y")).toBe("x *** y");
  });

  it("registers the environment's and the command line's secrets at start", () => {
    registerStartupSecrets(
      {
        DATABASE_URL_ADMIN: "postgresql://admin:adm-startup-pw@h/db",
        PGPASSWORD: "pgpass-startup",
        REDIS_REST_TOKEN: "rest-startup-token",
        UNRELATED: "not-a-secret-value",
      },
      [
        "work",
        "--redis-url=redis://:argv-eq-pw@h",
        "--database-url",
        "postgres://u:argv-sep-pw@h/db",
      ],
    );

    expect(
      redact(
        "adm-startup-pw pgpass-startup rest-startup-token argv-eq-pw argv-sep-pw not-a-secret-value",
      ),
    ).toBe("*** *** *** *** *** not-a-secret-value");
  });

  it("masks passwords and secret parameters in a displayed URL", () => {
    expect(displayUrl("postgresql://u:pw@h/db?password=x&sslmode=y")).toBe(
      "postgresql://u:***@h/db?password=***&sslmode=y",
    );
  });
});

describe("guardStream", () => {
  it("redacts strings and buffers written to a stream", async () => {
    registerSecret("guarded-secret-1");
    const stream = new PassThrough() as unknown as NodeJS.WriteStream;
    guardStream(stream);
    let out = "";
    (stream as unknown as PassThrough).on("data", (c: Buffer) => (out += c));

    stream.write("a guarded-secret-1 b\n");
    stream.write(Buffer.from("c guarded-secret-1 d ñ\n"));
    stream.write(Buffer.from("no secret: ñandú\n"));
    await new Promise((resolve) => setImmediate(resolve));

    expect(out).toBe("a *** b\nc *** d ñ\nno secret: ñandú\n");
  });
});
