-- Version 3: eval samples, their links to traces, and annotations on samples and spans
-- (luml's evals / eval_traces_bridge / eval_annotations / span_annotations, per experiment).
-- Times are unix ms like the other tables; JSON columns are jsonb.
CREATE TABLE evals (
    experiment  bigint NOT NULL REFERENCES experiments (seq) ON DELETE CASCADE,
    dataset_id  text NOT NULL,
    id          text NOT NULL,
    inputs      jsonb NOT NULL,
    outputs     jsonb,
    refs        jsonb,
    scores      jsonb,
    metadata    jsonb,
    created_at  bigint NOT NULL,
    updated_at  bigint NOT NULL,
    PRIMARY KEY (experiment, dataset_id, id)
);

CREATE TABLE eval_traces (
    experiment  bigint NOT NULL,
    dataset_id  text NOT NULL,
    eval_id     text NOT NULL,
    trace_id    text NOT NULL,
    id          text NOT NULL,
    ord         bigserial,
    created_at  bigint NOT NULL,
    PRIMARY KEY (experiment, dataset_id, eval_id, trace_id),
    FOREIGN KEY (experiment, dataset_id, eval_id)
        REFERENCES evals (experiment, dataset_id, id) ON DELETE CASCADE
);

-- subject_a/subject_b: (dataset_id, eval_id) for target 'eval', (trace_id, span_id) for 'span'.
CREATE TABLE annotations (
    experiment       bigint NOT NULL REFERENCES experiments (seq) ON DELETE CASCADE,
    target           text NOT NULL CHECK (target IN ('eval', 'span')),
    id               text NOT NULL,
    ord              bigserial,
    subject_a        text NOT NULL,
    subject_b        text NOT NULL,
    name             text NOT NULL,
    annotation_kind  text NOT NULL CHECK (annotation_kind IN ('feedback', 'expectation')),
    value_type       text NOT NULL CHECK (value_type IN ('int', 'bool', 'string')),
    value            jsonb NOT NULL,
    user_name        text NOT NULL,
    rationale        text,
    created_at       bigint NOT NULL,
    PRIMARY KEY (experiment, target, id)
);
