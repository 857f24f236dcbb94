export * from "./worker.js";
export * from "./retry-policy.js";
export type { HandlerContext } from "./handlers/index.js";
export * from "./scheduler.js";
export * from "./ops/index.js";
