/**
 * Telling a refused or stale prepared statement from a function's own
 * error, on the fields PostgreSQL sends, whatever its lc_messages.
 */
import { describe, expect, it } from "vitest";
import { isRefusal, isStale } from "../../../src/db/prepared-calls.js";

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

describe("isStale", () => {
  it("takes a function not found while planning the call itself", () => {
    const err = {
      code: "42883",
      message: "function f(integer) does not exist",
    };

    expect(isStale(err)).toBe(true);
    expect(isStale({ ...err, code: "42725" })).toBe(true);
  });

  it("leaves a function not found inside a function's body", () => {
    const where = "función PL/pgSQL f() en la línea 1 en RETURN";

    expect(isStale({ code: "42883", where })).toBe(false);
  });

  it("takes a parameter type lookup that failed, by routine name", () => {
    const err = { code: "XX000", routine: "getTypeInputInfo" };

    expect(isStale(err)).toBe(true);
    expect(isStale({ code: "XX000", routine: "heap_getnext" })).toBe(false);
  });

  it("leaves bad input to the function as it is", () => {
    expect(isStale({ code: "22P02" })).toBe(false);
  });
});
