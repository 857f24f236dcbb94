-- Demo data: 300 tickets spread over the last 14 days, run after schema.sql.
--
-- Idempotent: inserts nothing when any ticket titled 'Demo %' exists.
-- Figures are derived from the row number, not random(), so every run
-- gives the same mix relative to now():
--   estados    about 40% cerrado, 30% abierto, 20% en_progreso, 10% vencido
--   prioridad  all four, evenly
--   vence_en   1-5 days after creation, none for every 7th ticket; the open
--              ones created more than 5 days ago are overdue, so
--              batch.procesar_tickets_vencidos() has work to do.

INSERT INTO tickets.tickets
  (titulo, estado, prioridad, creado_en, vence_en, cerrado_en, vencido_en)
SELECT
  format('Demo %s: %s', lpad(g.i::text, 3, '0'), asunto),
  estado,
  prioridad,
  creado_en,
  vence_en,
  CASE WHEN estado = 'cerrado' THEN cerrado_en END,
  CASE WHEN estado = 'vencido' THEN vence_en END
FROM generate_series(1, 300) AS g(i)
CROSS JOIN LATERAL (
  SELECT
    (ARRAY['No puedo iniciar sesión', 'Error al exportar el informe',
      'La factura sale duplicada', 'Lentitud en el panel',
      'Solicitud de alta de usuario', 'Cambio de contraseña',
      'El correo no llega', 'Fallo en la impresora'])[1 + g.i % 8] AS asunto,
    (ARRAY['baja', 'media', 'alta', 'urgente'])[1 + (g.i + g.i / 10) % 4]
      AS prioridad,
    now() - ((g.i * 4813) % 20160) * interval '1 minute' AS creado_en
) AS base
CROSS JOIN LATERAL (
  SELECT
    CASE WHEN g.i % 7 <> 0
      THEN base.creado_en + (1 + g.i % 5) * interval '1 day'
    END AS vence_en,
    least(now(), base.creado_en + (15 + (g.i * 37) % 2880) * interval '1 minute')
      AS cerrado_en
) AS plazos
CROSS JOIN LATERAL (
  SELECT CASE
    WHEN g.i % 10 < 4 THEN 'cerrado'
    WHEN g.i % 10 < 6 THEN 'en_progreso'
    WHEN g.i % 10 = 9 AND plazos.vence_en < now() THEN 'vencido'
    ELSE 'abierto'
  END AS estado
) AS e
WHERE NOT EXISTS (
  SELECT 1 FROM tickets.tickets WHERE titulo LIKE 'Demo %'
);
