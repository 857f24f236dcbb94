-- The batch role: may execute the three batch functions and nothing else.
--
-- Idempotent; run after sql/schema.sql. The role name is read from the
-- setting `batchctl.role`, so this file needs no text templating:
--   PGOPTIONS='-c batchctl.role=usuario_batch' psql -f sql/grants.sql
-- `batchctl db setup` sets it with set_config() inside its transaction.
--
-- The role is created with LOGIN and no password when it is missing; an
-- existing role is left as it is apart from its privileges below.

DO $grants$
DECLARE
  v_role text := nullif(current_setting('batchctl.role', true), '');
BEGIN
  IF v_role IS NULL OR v_role !~ '^[A-Za-z_][A-Za-z0-9_]{0,62}$' THEN
    RAISE EXCEPTION 'batchctl.role must name the batch role, got "%"',
      coalesce(v_role, '')
      USING ERRCODE = '22023';
  END IF;

  -- Roles are cluster-wide: a setup of another database may create the
  -- same role between our check and CREATE ROLE.
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role)
    THEN
      EXECUTE format('CREATE ROLE %I LOGIN', v_role);
    END IF;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
  END;

  EXECUTE format('REVOKE ALL ON SCHEMA tickets FROM %I, PUBLIC', v_role);
  EXECUTE format(
    'REVOKE ALL ON ALL TABLES IN SCHEMA tickets FROM %I, PUBLIC', v_role);
  EXECUTE format(
    'REVOKE ALL ON ALL SEQUENCES IN SCHEMA tickets FROM %I, PUBLIC', v_role);
  EXECUTE format(
    'REVOKE ALL ON ALL FUNCTIONS IN SCHEMA tickets FROM %I, PUBLIC', v_role);
  EXECUTE format(
    'REVOKE ALL ON ALL FUNCTIONS IN SCHEMA batch FROM %I, PUBLIC', v_role);

  -- USAGE on batch is the gate: PUBLIC has none, so a function added to
  -- this schema later is not callable by anyone until granted here.
  EXECUTE format('REVOKE ALL ON SCHEMA batch FROM PUBLIC');
  EXECUTE format('GRANT USAGE ON SCHEMA batch TO %I', v_role);
  EXECUTE format(
    'GRANT EXECUTE ON FUNCTION batch.notificar_ticket_creado(uuid), '
    'batch.procesar_tickets_vencidos(), batch.generar_reporte(date) TO %I',
    v_role);
END
$grants$;
