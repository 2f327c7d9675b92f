-- Version 2: a min/max summary per 1,024-step block of every series, kept current on
-- write, so a wide chart query reads ~n/1024 summaries instead of n points.
-- min/max exclude NaN (NULL when a block holds only NaN); ties go to the smaller step.
CREATE TABLE metric_blocks (
    key_id      bigint NOT NULL,
    block       bigint NOT NULL,
    first_step  bigint NOT NULL,
    min_step    bigint,
    min_value   float8,
    max_step    bigint,
    max_value   float8,
    PRIMARY KEY (key_id, block)
);

INSERT INTO metric_blocks (key_id, block, first_step, min_step, min_value, max_step, max_value)
SELECT key_id, step >> 10, min(step),
       (array_agg(step ORDER BY value, step) FILTER (WHERE value <> 'NaN'::float8))[1],
       min(value) FILTER (WHERE value <> 'NaN'::float8),
       (array_agg(step ORDER BY value DESC, step) FILTER (WHERE value <> 'NaN'::float8))[1],
       max(value) FILTER (WHERE value <> 'NaN'::float8)
  FROM points GROUP BY key_id, step >> 10;
