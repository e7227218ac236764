// Package dhis2 reads and writes the DHIS2 aggregate data interchange formats: dataValueSets
// JSON, the data value CSV, ADX XML, DHIS2 period identifiers and the import summary.
//
// It is a pure format package: it knows nothing of Ting's units, indicators, mapping tables or
// database and must not import them. Translating Ting codes to DHIS2 identifiers, id schemes,
// dry runs and all-or-nothing imports belong to the caller.
//
// Sources: DHIS2 developer manual, "Data" chapter (dhis2/dhis2-docs, src/developer/web-api/data.md:
// sending data values, CSV data value format, ADX data format, ADX period definitions) and the
// DHIS2 core CSV writer's header row.
package dhis2
