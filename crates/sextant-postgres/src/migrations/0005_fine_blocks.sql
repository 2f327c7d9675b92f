-- Version 3: a second, finer summary level (32-step blocks), so a chart query can open a
-- 1,024-step block that straddles a bucket edge by reading 32 summaries and at most 32
-- points, and answer exactly (each bucket's true min and max) without scanning points.
CREATE TABLE metric_fine_blocks (
    key_id      bigint NOT NULL,
    block       bigint NOT NULL,
    first_step  bigint NOT NULL,
    min_step    bigint,
    min_value   float8,
    max_step    bigint,
    max_value   float8,
    PRIMARY KEY (key_id, block)
);

INSERT INTO metric_fine_blocks (key_id, block, first_step, min_step, min_value, max_step, max_value)
SELECT key_id, step >> 5, min(step),
       (array_agg(step ORDER BY value, step) FILTER (WHERE value <> 'NaN'::float8))[1],
       min(value) FILTER (WHERE value <> 'NaN'::float8),
       (array_agg(step ORDER BY value DESC, step) FILTER (WHERE value <> 'NaN'::float8))[1],
       max(value) FILTER (WHERE value <> 'NaN'::float8)
  FROM points GROUP BY key_id, step >> 5;
