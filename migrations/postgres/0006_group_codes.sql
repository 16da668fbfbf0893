-- A short code per group ("LOT"), the way people and other tools name it:
-- `sakhi export --group LOT`. Optional for groups made before codes existed;
-- unique when given.
ALTER TABLE shg_groups ADD COLUMN code TEXT;
CREATE UNIQUE INDEX shg_groups_code_unique ON shg_groups (code);
