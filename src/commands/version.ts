import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

function readVersion(): string {
  for (const path of ["../../package.json", "../../../package.json"]) {
    try {
      return (require(path) as { version: string }).version;
    } catch {
      // Compiled code sits one folder deeper than the sources; try the next.
    }
  }
  return "0.0.0";
}

/** batchctl's version, from package.json. */
export const VERSION = readVersion();
