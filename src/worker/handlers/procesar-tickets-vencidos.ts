import type { ProcesarTicketsVencidos } from "../../common/task.js";
import type { Handler } from "./types.js";

/** Marks overdue tickets; returns how many it marked. */
export const procesarTicketsVencidos: Handler<ProcesarTicketsVencidos> = async (
  _task,
  ctx,
) => {
  const result = await ctx.db.callFunction(
    ctx.functions.procesar_tickets_vencidos,
    [],
  );
  return typeof result === "number" ? { tickets_vencidos: result } : result;
};
