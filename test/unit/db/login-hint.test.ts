/**
 * A login that PgBouncer refuses for pg's statement_timeout names the
 * setting to change, whether at start or mid-run (a reload).
 */
import { describe, expect, it } from "vitest";
import { connectFailure, loginHint } from "../../../src/db/classify-error.js";

const REFUSAL = "unsupported startup parameter: statement_timeout";

describe("loginHint", () => {
  it("names ignore_startup_parameters for the statement_timeout refusal", () => {
    expect(loginHint(REFUSAL)).toMatch(/ignore_startup_parameters$/);
    expect(loginHint("password authentication failed")).toBe("");
  });

  it("is part of a connection failure met mid-run", () => {
    const refused = Object.assign(new Error(REFUSAL), { code: "08P01" });

    const failure = connectFailure(refused);

    expect(failure.message).toBe(
      `cannot connect: ${REFUSAL} (08P01); add statement_timeout to PgBouncer's ignore_startup_parameters`,
    );
    expect(failure.clase).toBe("transitorio");
  });
});
