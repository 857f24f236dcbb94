/**
 * Tasks given as NDJSON (one JSON object per line), as `enqueue --file`
 * reads them: every line is validated before anything is queued.
 */
import { UsageError } from "./errors.js";
import { parseTask, TaskValidationError, type Task } from "./task.js";

/**
 * Parses and validates every non-blank line of `text`. Returns the tasks
 * in order, each also passed through `check` (a reason refuses it). Throws
 * UsageError naming the first bad line (1-based) and what is wrong with
 * it, or saying that there was no task at all.
 */
export function parseTaskLines(
  text: string,
  source = "input",
  check: (task: Task) => string | undefined = () => undefined,
): Task[] {
  const tasks: Task[] = [];
  const lines = text.split("\n");

  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    try {
      const task = parseTask(line.replace(/\r$/, ""));
      const issue = check(task);
      if (issue !== undefined) throw new TaskValidationError([issue]);
      tasks.push(task);
    } catch (error) {
      if (!(error instanceof TaskValidationError)) throw error;
      throw new UsageError(
        `${source} line ${index + 1}: ${error.issues.join("; ")}; nothing was queued`,
      );
    }
  }

  if (tasks.length === 0) throw new UsageError(`${source}: has no tasks`);
  return tasks;
}
