export * from "./worker.js";
export * from "./retry-policy.js";
export type { HandlerContext } from "./handlers/index.js";
