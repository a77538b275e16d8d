-- llmcost ledger, schema version 3: token buckets a provider bills apart by
-- modality (audio, image). Existing rows read 0 in every new column (ADD
-- COLUMN with a constant default rewrites nothing), and 0 costs no payload.
ALTER TABLE entries ADD COLUMN input_audio      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE entries ADD COLUMN cache_read_audio INTEGER NOT NULL DEFAULT 0;
ALTER TABLE entries ADD COLUMN output_audio     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE entries ADD COLUMN input_image      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE entries ADD COLUMN output_image     INTEGER NOT NULL DEFAULT 0;

DROP VIEW records;
CREATE VIEW records AS
    SELECT e.id, e.at, src.s AS source, mdl.s AS model, prj.s AS project, ses.s AS session,
           e.input, e.cache_read, e.cache_write, e.cache_write_1h, e.output, e.reasoning,
           tier.s AS service_tier, e.cost, cur.s AS currency, pref.s AS price_ref,
           tg.s AS tags, kf.s AS key_fingerprint, e.incomplete,
           e.input_audio, e.cache_read_audio, e.output_audio, e.input_image, e.output_image
    FROM entries e
    JOIN strings src ON src.id = e.source
    JOIN strings mdl ON mdl.id = e.model
    JOIN strings tier ON tier.id = e.service_tier
    LEFT JOIN strings prj ON prj.id = e.project
    LEFT JOIN strings ses ON ses.id = e.session
    LEFT JOIN strings cur ON cur.id = e.currency
    LEFT JOIN strings pref ON pref.id = e.price_ref
    LEFT JOIN strings tg ON tg.id = e.tags
    LEFT JOIN strings kf ON kf.id = e.key_fingerprint;
