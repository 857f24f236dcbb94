-- batchctl reference ticket schema and the functions the worker calls.
--
-- Idempotent: running it again changes nothing. Written for PostgreSQL 15
-- and later (PGlite included). `batchctl db setup` runs it in one
-- transaction together with sql/grants.sql and, on request, sql/demo.sql.
--
-- Schema `tickets` holds the data; schema `batch` holds only the functions.
-- The functions are SECURITY DEFINER: the batch role runs them with the
-- owner's rights and needs no privilege on the tables themselves.

CREATE SCHEMA IF NOT EXISTS tickets;
CREATE SCHEMA IF NOT EXISTS batch;

CREATE TABLE IF NOT EXISTS tickets.tickets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  titulo text NOT NULL,
  estado text NOT NULL DEFAULT 'abierto'
    CONSTRAINT tickets_estado_check
    CHECK (estado IN ('abierto', 'en_progreso', 'cerrado', 'vencido')),
  prioridad text NOT NULL DEFAULT 'media'
    CONSTRAINT tickets_prioridad_check
    CHECK (prioridad IN ('baja', 'media', 'alta', 'urgente')),
  creado_en timestamptz NOT NULL DEFAULT now(),
  vence_en timestamptz,
  cerrado_en timestamptz,
  vencido_en timestamptz,
  -- A closed ticket knows when it was closed: the daily report counts
  -- closures and open tickets by cerrado_en alone.
  CONSTRAINT tickets_cerrado_en_check
    CHECK (estado <> 'cerrado' OR cerrado_en IS NOT NULL)
);

-- procesar_tickets_vencidos scans only tickets that can still fall due.
CREATE INDEX IF NOT EXISTS tickets_pendientes_vence_en_idx
  ON tickets.tickets (vence_en)
  WHERE estado IN ('abierto', 'en_progreso');
CREATE INDEX IF NOT EXISTS tickets_creado_en_idx
  ON tickets.tickets (creado_en);
CREATE INDEX IF NOT EXISTS tickets_cerrado_en_idx
  ON tickets.tickets (cerrado_en) WHERE cerrado_en IS NOT NULL;
CREATE INDEX IF NOT EXISTS tickets_vencido_en_idx
  ON tickets.tickets (vencido_en) WHERE vencido_en IS NOT NULL;

-- One row per notification sent; the primary key makes sending idempotent.
CREATE TABLE IF NOT EXISTS tickets.notificaciones (
  ticket_id uuid NOT NULL REFERENCES tickets.tickets (id) ON DELETE CASCADE,
  tipo text NOT NULL,
  creada_en timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ticket_id, tipo)
);

-- One row per UTC day, rewritten each time that day's report is generated.
CREATE TABLE IF NOT EXISTS tickets.estadisticas_diarias (
  fecha date PRIMARY KEY,
  creados integer NOT NULL,
  cerrados integer NOT NULL,
  vencidos integer NOT NULL,
  abiertos_al_cierre integer NOT NULL,
  por_prioridad jsonb NOT NULL,
  tiempo_medio_resolucion_min numeric,
  generada_en timestamptz NOT NULL DEFAULT now()
);

-- notificar_ticket_creado(p_ticket_id uuid) -> jsonb
-- Records the 'creado' notification of a ticket once. Returns
-- {"ticket_id", "notificacion": "creado", "nueva": false when it already
-- existed}. Raises P0001 when the ticket does not exist.
CREATE OR REPLACE FUNCTION batch.notificar_ticket_creado(p_ticket_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, tickets, pg_temp
AS $fn$
DECLARE
  v_insertadas integer;
BEGIN
  IF p_ticket_id IS NULL THEN
    RAISE EXCEPTION 'ticket_id must not be null' USING ERRCODE = '22004';
  END IF;

  PERFORM 1 FROM tickets.tickets WHERE id = p_ticket_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'ticket % does not exist', p_ticket_id
      USING ERRCODE = 'P0001';
  END IF;

  INSERT INTO tickets.notificaciones (ticket_id, tipo)
  VALUES (p_ticket_id, 'creado')
  ON CONFLICT (ticket_id, tipo) DO NOTHING;
  GET DIAGNOSTICS v_insertadas = ROW_COUNT;

  RETURN jsonb_build_object(
    'ticket_id', p_ticket_id,
    'notificacion', 'creado',
    'nueva', v_insertadas > 0
  );
END
$fn$;

-- procesar_tickets_vencidos() -> integer
-- Marks open or in-progress tickets whose vence_en has passed as 'vencido'
-- and returns how many it marked. Concurrent runs never mark a ticket
-- twice: rows locked by another run are skipped, not waited for.
CREATE OR REPLACE FUNCTION batch.procesar_tickets_vencidos()
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, tickets, pg_temp
AS $fn$
  WITH candidatos AS (
    SELECT id
    FROM tickets.tickets
    WHERE estado IN ('abierto', 'en_progreso')
      AND vence_en < now()
    FOR UPDATE SKIP LOCKED
  ), marcados AS (
    UPDATE tickets.tickets AS t
    SET estado = 'vencido', vencido_en = now()
    FROM candidatos AS c
    WHERE t.id = c.id
    RETURNING t.id
  )
  SELECT count(*)::integer FROM marcados;
$fn$;

-- generar_reporte(p_fecha date) -> jsonb
-- Computes the figures of one UTC calendar day, stores them in
-- estadisticas_diarias (replacing an earlier run) and returns them:
-- fecha, creados, cerrados, vencidos, abiertos_al_cierre (created before
-- the day ended and not closed by then), por_prioridad (tickets created
-- that day per prioridad, every prioridad present) and
-- tiempo_medio_resolucion_min (mean creation-to-close minutes of the
-- tickets closed that day, 2 decimals, null when none), generada_en.
CREATE OR REPLACE FUNCTION batch.generar_reporte(p_fecha date)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, tickets, pg_temp
AS $fn$
DECLARE
  v_desde timestamptz;
  v_hasta timestamptz;
  v_fila tickets.estadisticas_diarias%ROWTYPE;
BEGIN
  IF p_fecha IS NULL THEN
    RAISE EXCEPTION 'fecha must not be null' USING ERRCODE = '22004';
  END IF;
  v_desde := p_fecha::timestamp AT TIME ZONE 'UTC';
  v_hasta := (p_fecha + 1)::timestamp AT TIME ZONE 'UTC';

  SELECT
    p_fecha,
    count(*) FILTER (WHERE creado_en >= v_desde AND creado_en < v_hasta),
    count(*) FILTER (WHERE cerrado_en >= v_desde AND cerrado_en < v_hasta),
    count(*) FILTER (WHERE vencido_en >= v_desde AND vencido_en < v_hasta),
    count(*) FILTER (
      WHERE creado_en < v_hasta
        AND (cerrado_en IS NULL OR cerrado_en >= v_hasta)
    ),
    jsonb_build_object(
      'baja', count(*) FILTER (WHERE prioridad = 'baja'
        AND creado_en >= v_desde AND creado_en < v_hasta),
      'media', count(*) FILTER (WHERE prioridad = 'media'
        AND creado_en >= v_desde AND creado_en < v_hasta),
      'alta', count(*) FILTER (WHERE prioridad = 'alta'
        AND creado_en >= v_desde AND creado_en < v_hasta),
      'urgente', count(*) FILTER (WHERE prioridad = 'urgente'
        AND creado_en >= v_desde AND creado_en < v_hasta)
    ),
    round(avg(extract(epoch FROM cerrado_en - creado_en) / 60) FILTER (
      WHERE cerrado_en >= v_desde AND cerrado_en < v_hasta
    ), 2),
    now()
  INTO v_fila
  FROM tickets.tickets;

  INSERT INTO tickets.estadisticas_diarias
  SELECT v_fila.*
  ON CONFLICT (fecha) DO UPDATE SET
    creados = excluded.creados,
    cerrados = excluded.cerrados,
    vencidos = excluded.vencidos,
    abiertos_al_cierre = excluded.abiertos_al_cierre,
    por_prioridad = excluded.por_prioridad,
    tiempo_medio_resolucion_min = excluded.tiempo_medio_resolucion_min,
    generada_en = excluded.generada_en;

  RETURN to_jsonb(v_fila);
END
$fn$;

-- Nobody but the roles named in sql/grants.sql may call the functions.
REVOKE EXECUTE ON FUNCTION batch.notificar_ticket_creado(uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION batch.procesar_tickets_vencidos() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION batch.generar_reporte(date) FROM PUBLIC;
