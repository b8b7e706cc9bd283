-- The sample warehouse `compute init` loads into warehouse.duckdb: five users
-- and their logins in the first week of January 2026. Replace it with your
-- own tables, or point compute.config.json at BigQuery. To load it again
-- into a fresh file: duckdb warehouse.duckdb < data/sample.sql (DuckDB's CLI).
CREATE TABLE users (entity_id VARCHAR, country VARCHAR);
INSERT INTO users VALUES ('u1', 'DE'), ('u2', 'FR'), ('u3', 'DE'), ('u4', 'US'), ('u5', 'US');

CREATE TABLE user_logins (entity_id VARCHAR, date DATE, device VARCHAR);
INSERT INTO user_logins VALUES
  ('u1', DATE '2026-01-01', 'web'), ('u1', DATE '2026-01-02', 'web'), ('u1', DATE '2026-01-03', 'ios'),
  ('u1', DATE '2026-01-04', 'web'), ('u1', DATE '2026-01-05', 'ios'), ('u1', DATE '2026-01-05', 'web'),
  ('u2', DATE '2026-01-02', 'android'), ('u2', DATE '2026-01-05', 'android'),
  ('u3', DATE '2026-01-01', 'web'), ('u3', DATE '2026-01-03', 'web'),
  ('u4', DATE '2026-01-04', 'ios'), ('u4', DATE '2026-01-05', 'ios'), ('u4', DATE '2026-01-06', 'ios'),
  ('u5', DATE '2026-01-06', 'web'), ('u5', DATE '2026-01-07', 'web');
