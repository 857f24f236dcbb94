/**
 * PostgreSQL access for batchctl: the `Database` the worker calls (a pg
 * pool or embedded PGlite), SQLSTATE classes, and `batchctl db setup`.
 * Other folders import from here only.
 */
export {
  createDatabase,
  DEFAULT_PGLITE_DATA_DIR,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  type Database,
  type DatabaseOptions,
} from "./database.js";
export {
  classifyDbError,
  isConnectionFailure,
  scrubSecrets,
} from "./classify-error.js";
export { createPgliteDatabase, openPglite } from "./pglite.js";
export { CONNECT_TIMEOUT_MS } from "./postgres.js";
export { setupDatabase, type SetupOptions, type SetupReport } from "./setup.js";
export { sqlDirectory } from "./sql-files.js";
export {
  inspectDatabase,
  type DatabaseHealth,
  type FunctionAccess,
  type InspectOptions,
} from "./inspect.js";
