/**
 * The enqueue form's fields per tipo, and its validation with the same zod
 * schemas the worker and `batchctl enqueue` use.
 */
import {
  TIPOS,
  TaskValidationError,
  validateTask,
  type Tipo,
} from "../common/task.js";

/** One text field of the form. */
export interface FormField {
  name: string;
  hint: string;
}

const FIELDS: Record<Tipo, FormField[]> = {
  notificar_ticket_creado: [{ name: "ticket_id", hint: "UUID of the ticket" }],
  procesar_tickets_vencidos: [],
  generar_reporte: [{ name: "fecha", hint: "YYYY-MM-DD" }],
  limpiar_cache: [{ name: "claves", hint: "key names, separated by spaces" }],
};

export function tipoAt(index: number): Tipo {
  return TIPOS[((index % TIPOS.length) + TIPOS.length) % TIPOS.length] as Tipo;
}

export function fieldsOf(tipo: Tipo): FormField[] {
  return FIELDS[tipo];
}

/** The task the form describes (fields left empty are left out). */
export function buildTask(
  tipo: Tipo,
  values: Record<string, string>,
): Record<string, unknown> {
  const task: Record<string, unknown> = { tipo };
  for (const field of FIELDS[tipo]) {
    const value = (values[field.name] ?? "").trim();
    if (value === "") continue;
    task[field.name] =
      field.name === "claves" ? value.split(/[\s,]+/).filter(Boolean) : value;
  }
  return task;
}

/**
 * Validates the form; returns the errors by field name (`task` for the
 * whole task), empty when the task is valid.
 */
export function validateForm(
  tipo: Tipo,
  values: Record<string, string>,
): Record<string, string> {
  try {
    validateTask(buildTask(tipo, values));
    return {};
  } catch (error) {
    if (!(error instanceof TaskValidationError)) throw error;
    const errors: Record<string, string> = {};
    for (const issue of error.issues) {
      const [path, ...rest] = issue.split(": ");
      const field = (path ?? "task").split(".")[0] as string;
      const known = FIELDS[tipo].some((f) => f.name === field);
      const name = known ? field : "task";
      errors[name] = errors[name] ?? (known ? rest.join(": ") : issue);
    }
    return errors;
  }
}
