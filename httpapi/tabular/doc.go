// Package tabular reads uploaded spreadsheets (CSV in UTF-8 with or without
// BOM, or in GBK/GB18030 as Excel in China often saves it; XLSX, first
// sheet) into rows keyed by field, with Chinese and English header aliases,
// blank-row skipping and size and row limits; and writes exports and error
// reports as CSV (UTF-8 with BOM, so Excel opens it correctly) or XLSX
// (streamed).
//
// It knows nothing of teachers or projects: callers pass a Schema and turn
// rows into domain commands, collecting RowErrors for the error report.
// It may import the standard library, domain, excelize and golang.org/x/text.
package tabular
