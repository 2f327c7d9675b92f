-- Version 3: named access tokens with roles (only their hashes), and which token created
-- each experiment.
ALTER TABLE experiments ADD COLUMN created_by text;

CREATE TABLE tokens (
    seq          bigserial PRIMARY KEY,
    name         text NOT NULL,
    role         text NOT NULL CHECK (role IN ('read', 'write', 'admin')),
    hash         text NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_at   bigint NOT NULL,
    last_used_at bigint,
    revoked_at   bigint
);
-- One active token per name; revoked ones stay listed.
CREATE UNIQUE INDEX tokens_active_name ON tokens (name) WHERE revoked_at IS NULL;
