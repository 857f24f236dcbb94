import type { NotificarTicketCreado } from "../../common/task.js";
import type { Handler } from "./types.js";

/** Records the "ticket created" notification (idempotent in the database). */
export const notificarTicketCreado: Handler<NotificarTicketCreado> = (
  task,
  ctx,
) =>
  ctx.db.callFunction(ctx.functions.notificar_ticket_creado, [task.ticket_id]);
