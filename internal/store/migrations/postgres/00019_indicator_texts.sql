-- +goose Up
-- An indicator's definition, unit of measure, data source and baseline source are read by
-- everyone who enters or judges its values, in either language, as its name is: each now has
-- a Chinese and an English text. The text held so far goes to the language it is written in
-- (Chinese when it holds a Han character, English otherwise); the page shows the other
-- language's text while one is empty.
ALTER TABLE indicators RENAME COLUMN definition TO definition_en;
ALTER TABLE indicators ADD COLUMN definition_zh TEXT NOT NULL DEFAULT '';
UPDATE indicators SET definition_zh = definition_en, definition_en = '' WHERE definition_en ~ '[一-鿿]';
ALTER TABLE indicators RENAME COLUMN unit_label TO unit_label_en;
ALTER TABLE indicators ADD COLUMN unit_label_zh TEXT NOT NULL DEFAULT '';
UPDATE indicators SET unit_label_zh = unit_label_en, unit_label_en = '' WHERE unit_label_en ~ '[一-鿿]';
ALTER TABLE indicators RENAME COLUMN baseline_source TO baseline_source_en;
ALTER TABLE indicators ADD COLUMN baseline_source_zh TEXT NOT NULL DEFAULT '';
UPDATE indicators SET baseline_source_zh = baseline_source_en, baseline_source_en = '' WHERE baseline_source_en ~ '[一-鿿]';
ALTER TABLE indicators RENAME COLUMN data_source TO data_source_en;
ALTER TABLE indicators ADD COLUMN data_source_zh TEXT NOT NULL DEFAULT '';
UPDATE indicators SET data_source_zh = data_source_en, data_source_en = '' WHERE data_source_en ~ '[一-鿿]';

-- +goose Down
-- Lossy: where an indicator has both texts, the Chinese one goes.
UPDATE indicators SET definition_en = definition_zh WHERE definition_en = '';
ALTER TABLE indicators DROP COLUMN definition_zh;
ALTER TABLE indicators RENAME COLUMN definition_en TO definition;
UPDATE indicators SET unit_label_en = unit_label_zh WHERE unit_label_en = '';
ALTER TABLE indicators DROP COLUMN unit_label_zh;
ALTER TABLE indicators RENAME COLUMN unit_label_en TO unit_label;
UPDATE indicators SET baseline_source_en = baseline_source_zh WHERE baseline_source_en = '';
ALTER TABLE indicators DROP COLUMN baseline_source_zh;
ALTER TABLE indicators RENAME COLUMN baseline_source_en TO baseline_source;
UPDATE indicators SET data_source_en = data_source_zh WHERE data_source_en = '';
ALTER TABLE indicators DROP COLUMN data_source_zh;
ALTER TABLE indicators RENAME COLUMN data_source_en TO data_source;
