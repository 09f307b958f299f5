// Package ident validates and normalises the identifiers and coded values of
// the teacher record: resident ID numbers (GB 11643-1999), teacher
// certificate numbers, mobile numbers, e-mail addresses, dates, and the
// national code tables (gender, ethnicity, political status, education, ...)
// with their Chinese labels. It also masks ID numbers and mobiles for lists
// and exports.
//
// Errors are *domain.ValidationError naming the JSON field with a Chinese
// reason. The package is pure (today's date is an argument) and imports only
// the standard library, domain and domain/region.
package ident
