-- The run store's tables at schema v4, as phota-widgets' schema code of that version created
-- them on SQLite (read back from sqlite_master). Migration tests build a v4 store from it.
CREATE TABLE runs (
    run_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    params TEXT NOT NULL,
    prompt TEXT,
    status TEXT NOT NULL,
    created_at FLOAT NOT NULL,
    backend TEXT NOT NULL,
    request_id TEXT,
    job_id TEXT,
    client_request_id TEXT,
    elapsed FLOAT,
    cost FLOAT,
    error TEXT,
    known_subjects TEXT DEFAULT '{}' NOT NULL,
    note TEXT,
    n_outputs INTEGER DEFAULT '0' NOT NULL,
    n_picked INTEGER DEFAULT '0' NOT NULL,
    requests INTEGER,
    PRIMARY KEY (run_id)
);
CREATE INDEX runs_created ON runs (created_at);
CREATE TABLE sweeps (
    sweep_id TEXT NOT NULL,
    name TEXT,
    endpoint TEXT NOT NULL,
    spec TEXT NOT NULL,
    created_at FLOAT NOT NULL,
    updated_at FLOAT NOT NULL,
    PRIMARY KEY (sweep_id)
);
CREATE TABLE judgements (
    judgement_id INTEGER NOT NULL,
    output_a TEXT NOT NULL,
    output_b TEXT NOT NULL,
    winner TEXT NOT NULL,
    shown_left TEXT,
    judge TEXT NOT NULL,
    created_at FLOAT NOT NULL,
    sweep_id TEXT,
    PRIMARY KEY (judgement_id)
);
CREATE INDEX judgements_output_a ON judgements (output_a);
CREATE TABLE model_judgements (
    judge TEXT NOT NULL,
    pair TEXT NOT NULL,
    judgement_id INTEGER,
    sweep_id TEXT,
    answer_ab TEXT NOT NULL,
    answer_ba TEXT NOT NULL,
    consistent INTEGER NOT NULL,
    tokens_in INTEGER NOT NULL,
    tokens_out INTEGER NOT NULL,
    cost FLOAT,
    created_at FLOAT NOT NULL,
    PRIMARY KEY (judge, pair)
);
CREATE TABLE assignments (
    sweep_id TEXT NOT NULL,
    pair TEXT NOT NULL,
    judge TEXT NOT NULL,
    created_at FLOAT NOT NULL,
    PRIMARY KEY (sweep_id, pair, judge)
);
CREATE TABLE ratings (
    output_id TEXT NOT NULL,
    judge TEXT NOT NULL,
    stars INTEGER NOT NULL,
    note TEXT,
    created_at FLOAT NOT NULL,
    PRIMARY KEY (output_id, judge)
);
CREATE TABLE claims (
    claim_key TEXT NOT NULL,
    holder TEXT NOT NULL,
    state TEXT NOT NULL,
    expires_at FLOAT NOT NULL,
    claimed_at FLOAT NOT NULL,
    attempts INTEGER DEFAULT '1' NOT NULL,
    run_id TEXT,
    PRIMARY KEY (claim_key)
);
CREATE TABLE scores (
    output_hash TEXT NOT NULL,
    scorer TEXT NOT NULL,
    version TEXT NOT NULL,
    param_hash TEXT NOT NULL,
    output_id TEXT NOT NULL,
    value FLOAT,
    passed INTEGER,
    detail TEXT DEFAULT '' NOT NULL,
    tokens INTEGER,
    cost FLOAT,
    created_at FLOAT NOT NULL,
    error INTEGER DEFAULT '0' NOT NULL,
    PRIMARY KEY (output_hash, scorer, version, param_hash)
);
CREATE INDEX scores_output ON scores (output_id);
CREATE TABLE backend_limits (
    backend TEXT NOT NULL,
    concurrency INTEGER NOT NULL,
    learned_at FLOAT NOT NULL,
    PRIMARY KEY (backend)
);
CREATE TABLE outputs (
    run_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    output_format TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    picked INTEGER DEFAULT '0' NOT NULL,
    PRIMARY KEY (run_id, idx),
    FOREIGN KEY(run_id) REFERENCES runs (run_id)
);
CREATE TABLE run_owners (
    run_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    PRIMARY KEY (run_id),
    FOREIGN KEY(run_id) REFERENCES runs (run_id)
);
CREATE TABLE sweep_cells (
    sweep_id TEXT NOT NULL,
    cell_key TEXT NOT NULL,
    position INTEGER NOT NULL,
    cell TEXT NOT NULL,
    run_id TEXT,
    error TEXT,
    PRIMARY KEY (sweep_id, cell_key),
    FOREIGN KEY(sweep_id) REFERENCES sweeps (sweep_id)
);
CREATE INDEX sweep_cells_run ON sweep_cells (run_id);
CREATE INDEX sweep_cells_key ON sweep_cells (cell_key);
CREATE TABLE picks (
    run_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    judge TEXT NOT NULL,
    picked_at FLOAT NOT NULL,
    PRIMARY KEY (run_id, idx, judge),
    FOREIGN KEY(run_id, idx) REFERENCES outputs (run_id, idx)
);
