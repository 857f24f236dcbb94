#!/usr/bin/env node
/**
 * The `batchctl` binary: declares the commands and holds the one top-level
 * error printer.
 */
// First: sets a V8 flag that must precede the heap's growth.
import "./common/heap.js";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { auditCommand } from "./commands/audit.js";
import { dbCommand } from "./commands/db.js";
import { deleteCommand } from "./commands/delete.js";
import { withGlobalOptions } from "./commands/common.js";
import { enqueueCommand } from "./commands/enqueue.js";
import { checkCommand } from "./commands/check.js";
import { doctorCommand } from "./commands/doctor.js";
import { lsCommand } from "./commands/ls.js";
import { showCommand } from "./commands/show.js";
import { statsCommand } from "./commands/stats.js";
import { pauseCommand, resumeCommand } from "./commands/pause.js";
import { purgeCacheCommand } from "./commands/purge-cache.js";
import { purgeCommand } from "./commands/purge.js";
import { retryCommand } from "./commands/retry.js";
import { VERSION } from "./commands/version.js";
import { tuiCommand } from "./commands/tui.js";
import { workCommand } from "./commands/work.js";
import { BatchError, EXIT, toError, UsageError } from "./common/errors.js";
import { printable } from "./common/printable.js";
import {
  guardStream,
  redact,
  registerStartupSecrets,
} from "./common/redact.js";

const EPILOGUE = `Exit codes: 0 done, 1 the operation failed, 2 bad usage or input,
3 cannot reach Redis or PostgreSQL, 124 enqueue --wait timed out.
Configuration: environment (and .env), overridden by flags. See env.example.`;

function printError(error: unknown, isDebug: boolean): void {
  const err = toError(error);
  const detail = isDebug && err.stack ? `\n${err.stack}` : "";
  const message = printable(err.message);
  process.stderr.write(redact(`batchctl: ${message}${detail}`) + "\n");
  process.exitCode = err instanceof BatchError ? err.exitCode : EXIT.failed;
}

/**
 * Everything that leaves the process is scrubbed of secrets, a crash's
 * message included (Node would print it unredacted, with its stack).
 */
function guardOutput(isDebug: boolean): void {
  registerStartupSecrets(process.env, process.argv.slice(2));
  guardStream(process.stdout);
  guardStream(process.stderr);
  const crash = (error: unknown) => {
    printError(error, isDebug);
    process.exit(EXIT.failed);
  };
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
}

/** What yargs tells a middleware of the options declared (untyped there). */
interface OptionsOf {
  getOptions(): { array: string[]; key: Record<string, unknown> };
}

/**
 * A flag that takes one value, given twice (`--for 1m --for 2m`), is bad
 * usage: yargs would hand the command an array where it expects a value.
 */
function refuseRepeatedFlags(
  argv: Record<string, unknown>,
  instance: OptionsOf,
): void {
  const options = instance.getOptions();
  const lists = new Set(options.array);
  for (const [name, value] of Object.entries(argv)) {
    if (!Array.isArray(value) || name === "_" || lists.has(name)) continue;
    if (!Object.hasOwn(options.key, name) || /[A-Z]/.test(name)) continue;
    throw new UsageError(`--${name}: given more than once; give it once`);
  }
}

async function main(): Promise<void> {
  const argv = hideBin(process.argv);
  const isDebug =
    argv.includes("--debug") || process.env.BATCHCTL_DEBUG === "1";
  guardOutput(isDebug);
  const parser = withGlobalOptions(yargs(argv))
    .scriptName("batchctl")
    .command(workCommand)
    .command(enqueueCommand)
    .command(retryCommand)
    .command(deleteCommand)
    .command(purgeCommand)
    .command(purgeCacheCommand)
    .command(pauseCommand)
    .command(resumeCommand)
    .command(auditCommand)
    .command(dbCommand)
    .command(lsCommand)
    .command(showCommand)
    .command(statsCommand)
    .command(checkCommand)
    .command(doctorCommand)
    .command(tuiCommand)
    .completion("completion", "print a bash/zsh completion script")
    .demandCommand(1, "say which command to run")
    // yargs passes itself as a second argument, which its types omit.
    .middleware(refuseRepeatedFlags as unknown as () => void, true)
    .strict()
    .recommendCommands()
    .version(VERSION)
    .epilogue(EPILOGUE)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((message, error) => {
      // yargs's own parse errors (YError) are bad usage, like its messages.
      if (error && error.name !== "YError") throw error;
      // yargs writes some messages over several lines; ours are one line.
      const text = message ?? error?.message ?? "bad usage";
      const line = text.replace(/\s*\n\s*/g, " ").trim();
      process.stderr.write(`batchctl: ${line} (see batchctl --help)\n`);
      process.exit(EXIT.usage);
    });

  try {
    await parser.parseAsync();
  } catch (error) {
    printError(error, isDebug);
  }
}

/**
 * Resolves once everything written to the stream so far has been handed to
 * the OS: a pipe whose reader is slower than us buffers the rest in Node,
 * and process.exit would drop it.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableLength === 0) return resolve();
    stream.write("", () => resolve());
  });
}

/** The first failure writing stdout: its reader left, or the write failed. */
let stdoutFailure: NodeJS.ErrnoException | undefined;

/**
 * stdout failed: its reader went away (`batchctl ls | head -1`, EPIPE) or a
 * write did not go through (a full disk, ENOSPC). Handled once: the stream
 * is destroyed so later writes fail quietly. A command that stops on a
 * signal (the worker, `stats --watch`) is asked to stop as on SIGTERM, so
 * the worker finishes its tasks and returns the rest; any other exits.
 */
function handleStdoutFailure(error: NodeJS.ErrnoException): void {
  if (stdoutFailure) return;
  stdoutFailure = error;
  process.stdout.destroy();
  if (error.code !== "EPIPE") {
    const reason = printable(error.message);
    process.stderr.write(`batchctl: cannot write the output: ${reason}\n`);
  }
  if (process.listenerCount("SIGTERM") > 0) {
    isStoppedByOutput = true;
    process.emit("SIGTERM", "SIGTERM");
    return;
  }
  process.exit(finalExitCode());
}

/** A worker or `stats --watch` was stopped because stdout failed. */
let isStoppedByOutput = false;

/**
 * The exit status. A reader that left early took what it wanted from a
 * one-shot command (exit as usual, like `ls | head`); a long-running command
 * it stopped, or output that was lost, is a failure that cron and systemd
 * must see.
 */
function finalExitCode(): number {
  const code = Number(process.exitCode ?? EXIT.ok);
  if (!stdoutFailure || code !== EXIT.ok) return code;
  const isLost = stdoutFailure.code !== "EPIPE" || isStoppedByOutput;
  return isLost ? EXIT.failed : code;
}

process.stdout.on("error", handleStdoutFailure);
// Nothing left to tell a reader of stderr that went away.
process.stderr.on("error", () => {});

await main();
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
// A failed write reports its error a tick later.
await new Promise((resolve) => setImmediate(resolve));
// Every connection is closed by now; exit even if a library left a handle.
process.exit(finalExitCode());
