/**
 * Telling a refused or possibly stale prepared statement from other
 * errors, on the fields PostgreSQL sends, whatever its lc_messages.
 */
import { describe, expect, it } from "vitest";
import { isRefusal, mayBeStale } from "../../../src/db/prepared-calls.js";

const NAME = "batchctl_0123456789abcdef01234567_29";

describe("isRefusal", () => {
  it.each([
    ["en", "42P05", `prepared statement "${NAME}" already exists`],
    ["es", "42P05", `la sentencia preparada «${NAME}» ya existe`],
    ["de", "42P05", `vorbereitete Anweisung »${NAME}« existiert bereits`],
    ["fr", "26000", `l'instruction préparée « ${NAME} » n'existe pas`],
  ])("knows the refusal of its statement in %s", (_lang, code, message) => {
    expect(isRefusal({ code, message }, NAME)).toBe(true);
  });

  it("leaves a 26000 that names another statement to the function", () => {
    const message = 'prepared statement "informe" does not exist';

    expect(isRefusal({ code: "26000", message }, NAME)).toBe(false);
  });

  it("needs one of the two codes", () => {
    const message = `relation "${NAME}" does not exist`;

    expect(isRefusal({ code: "42P01", message }, NAME)).toBe(false);
  });
});

describe("mayBeStale", () => {
  it.each(["42883", "42725", "22P02", "XX000", "0A000"])(
    "takes %s, which a stale statement meets while binding",
    (code) => {
      expect(mayBeStale({ code })).toBe(true);
    },
  );

  it.each(["57014", "08006", "53300", "40001", "P0001", undefined])(
    "leaves %s (a cancel, a lost connection, the function's own)",
    (code) => {
      expect(mayBeStale({ code })).toBe(false);
    },
  );
});
