// Package httpapi is the JSON API under /api/v1 (chi): sessions, authorization
// by role and jurisdiction, strict decoding, one error mapping, idempotency
// keys, read-your-writes, and the OpenAPI document it serves. Sub-packages
// render presentation formats (certificate PDF, CSV/XLSX, SSO assertions).
//
// It may import commands, projections, domain and eventstore (for positions).
package httpapi
