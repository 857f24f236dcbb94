import type { GenerarReporte } from "../../common/task.js";
import type { Handler } from "./types.js";

/** Computes and stores one day's statistics; returns them. */
export const generarReporte: Handler<GenerarReporte> = (task, ctx) =>
  ctx.db.callFunction(ctx.functions.generar_reporte, [task.fecha]);
