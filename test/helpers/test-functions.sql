-- Functions that only the tests use, installed next to the reference schema
-- and pointed at with BATCH_FN_GENERAR_REPORTE. The role name is
-- substituted for :role before running.
CREATE SCHEMA IF NOT EXISTS test_fn;

-- Sleeps (day of the month / 10) seconds: 2024-01-20 sleeps 2 s.
CREATE OR REPLACE FUNCTION test_fn.reporte_lento(p_fecha date)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog AS $$
BEGIN
  PERFORM pg_sleep(extract(day FROM p_fecha) / 10.0);
  RETURN jsonb_build_object('fecha', p_fecha, 'lento', true);
END $$;

-- Fails with serialization_failure (40001, transient) until it has been
-- called (day of the month) times for that date: 2024-01-03 succeeds on
-- the third call. Calls are counted with a sequence, since a sequence is
-- not rolled back with the failing call; the test creates
-- test_fn.llamadas_YYYYMMDD first.
CREATE OR REPLACE FUNCTION test_fn.reporte_inestable(p_fecha date)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog AS $$
DECLARE
  n bigint;
BEGIN
  n := nextval(format('test_fn.llamadas_%s', to_char(p_fecha, 'YYYYMMDD'))::regclass);
  IF n < extract(day FROM p_fecha) THEN
    RAISE EXCEPTION 'simulated serialization failure % of %', n,
      extract(day FROM p_fecha) USING ERRCODE = '40001';
  END IF;
  RETURN jsonb_build_object('fecha', p_fecha, 'llamadas', n);
END $$;

-- A function the batch role may not execute (permission error, 42501).
CREATE OR REPLACE FUNCTION test_fn.reporte_prohibido(p_fecha date)
RETURNS jsonb LANGUAGE sql AS $$ SELECT jsonb_build_object('x', 1) $$;
REVOKE ALL ON FUNCTION test_fn.reporte_prohibido(date) FROM PUBLIC;

GRANT USAGE ON SCHEMA test_fn TO :role;
GRANT EXECUTE ON FUNCTION test_fn.reporte_lento(date) TO :role;
GRANT EXECUTE ON FUNCTION test_fn.reporte_inestable(date) TO :role;
