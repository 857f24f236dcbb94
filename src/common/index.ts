export * from "./errors.js";
export * from "./task.js";
export * from "./config.js";
export * from "./redact.js";
export * from "./logger.js";
export * from "./events.js";
export * from "./duration.js";
export * from "./task-lines.js";
