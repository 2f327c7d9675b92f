-- Sextant's team-tier schema, version 1. Runs inside the store's schema (search_path).
CREATE TABLE groups (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    description text,
    created_at  bigint NOT NULL
);

CREATE TABLE experiments (
    -- `seq` is the compact key every child row uses; `id` is the public (uuid-like) id.
    seq         bigserial PRIMARY KEY,
    id          text NOT NULL UNIQUE,
    name        text NOT NULL,
    group_id    bigint NOT NULL REFERENCES groups (id),
    status      text NOT NULL,
    tags        text[] NOT NULL DEFAULT '{}',
    created_at  bigint NOT NULL,
    duration    float8,
    description text,
    source      text,
    -- name -> {"type": …, "value": …}, the serde form of sextant_core::ParamValue.
    params      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX experiments_created ON experiments (created_at DESC);
CREATE INDEX experiments_group ON experiments (group_id);

-- Metric keys interned per experiment, with the summary a chart and a list need, kept
-- current on write so neither counts millions of rows.
CREATE TABLE metric_keys (
    id          bigserial PRIMARY KEY,
    experiment  bigint NOT NULL REFERENCES experiments (seq) ON DELETE CASCADE,
    key         text NOT NULL,
    count       bigint NOT NULL DEFAULT 0,
    first_step  bigint,
    last_step   bigint,
    last_value  float8,
    UNIQUE (experiment, key)
);

-- One row per (experiment, key, step) through the interned key. No foreign key: ingest
-- speed; experiment deletion removes points explicitly. float8 keeps NaN and ±inf.
CREATE TABLE points (
    key_id      bigint NOT NULL,
    step        bigint NOT NULL,
    value       float8 NOT NULL,
    logged_at   bigint NOT NULL,
    PRIMARY KEY (key_id, step)
);

CREATE TABLE spans (
    experiment      bigint NOT NULL REFERENCES experiments (seq) ON DELETE CASCADE,
    trace_id        text NOT NULL,
    span_id         text NOT NULL,
    parent_span_id  text,
    name            text NOT NULL,
    kind            bigint NOT NULL,
    dfs_span_type   bigint NOT NULL,
    start_ns        bigint NOT NULL,
    end_ns          bigint NOT NULL,
    status          smallint NOT NULL,
    status_message  text,
    attributes      jsonb NOT NULL,
    events          jsonb NOT NULL,
    links           jsonb NOT NULL,
    trace_flags     bigint,
    PRIMARY KEY (experiment, trace_id, span_id)
);
CREATE INDEX spans_start ON spans (experiment, start_ns);

-- Attachment metadata; the bytes are in `data` (no object store configured) or at
-- `object_key` in the object store.
CREATE TABLE attachments (
    experiment  bigint NOT NULL REFERENCES experiments (seq) ON DELETE CASCADE,
    name        text NOT NULL,
    size        bigint NOT NULL,
    created_at  bigint NOT NULL,
    data        bytea,
    object_key  text,
    PRIMARY KEY (experiment, name)
);

CREATE TABLE models (
    experiment  bigint NOT NULL REFERENCES experiments (seq) ON DELETE CASCADE,
    id          text NOT NULL,
    ord         bigserial,
    name        text NOT NULL,
    path        text NOT NULL,
    created_at  bigint NOT NULL,
    size        bigint,
    PRIMARY KEY (experiment, id)
);
