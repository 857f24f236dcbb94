export * from "./keys.js";
export * from "./records.js";
export * from "./transport.js";
export * from "./operations.js";
export * from "./worker-queue.js";
export * from "./connect.js";
