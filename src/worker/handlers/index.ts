/**
 * One handler per tipo (DESIGN.md section 3).
 */
import type { Task, Tipo } from "../../common/task.js";
import { generarReporte } from "./generar-reporte.js";
import { limpiarCache } from "./limpiar-cache.js";
import { notificarTicketCreado } from "./notificar-ticket-creado.js";
import { procesarTicketsVencidos } from "./procesar-tickets-vencidos.js";
import type { DeferredDeletes, HandlerContext } from "./types.js";

export { DeferredDeletes, type HandlerContext } from "./types.js";

/**
 * Runs `task` with the handler of its tipo; returns its `resultado` (a
 * promise), or DeferredDeletes for work left to the acknowledgement.
 */
export function runHandler(
  task: Task,
  ctx: HandlerContext,
): Promise<unknown> | DeferredDeletes {
  switch (task.tipo) {
    case "notificar_ticket_creado":
      return notificarTicketCreado(task, ctx);
    case "procesar_tickets_vencidos":
      return procesarTicketsVencidos(task, ctx);
    case "generar_reporte":
      return generarReporte(task, ctx);
    case "limpiar_cache":
      return limpiarCache(task, ctx);
  }
}

/** Tipos that need the database. */
export const DATABASE_TIPOS: readonly Tipo[] = [
  "notificar_ticket_creado",
  "procesar_tickets_vencidos",
  "generar_reporte",
];
