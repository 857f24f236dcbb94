export * from "./monitor.js";
export * from "./metrics.js";
export * from "./readiness.js";
export * from "./server.js";
