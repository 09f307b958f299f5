// Package creditaudit is the sampled audit of credit claims (学时抽查复核):
// the province, a city or a county draws a random, reproducible sample of
// the credit entries granted by credit-bank recognition and by import, and
// re-reviews each sampled entry: upheld, or revoked, always with a reason.
// One Sample per draw, stream creditaudit-<uuid>.
//
// The rule:
//
//   - Who: an admin draws for a region inside their jurisdiction (the
//     province admin for the province or any city or county, a city admin
//     for the city or one of its counties, a county admin for the county).
//     Whoever's jurisdiction covers the sample's scope may read and review
//     it; to anyone else it does not exist.
//   - The population is every entry that counts (not revoked, not held as
//     a suspected duplicate, not a confirmed duplicate) of the chosen
//     source kinds (credit_bank, import; both when none is named) of the
//     teachers whose county lies in the scope, optionally only those
//     completed in [from, to). The caller reads it; the event records its
//     size and digest.
//   - The size: a share (percent, at most one decimal place) rounds up, so
//     a share of an audited population is never less than asked
//     (ceil(N × share / 100): 5 % of 41 entries is 3); or a count; never
//     more than the population or MaxSample.
//   - The draw (Algorithm "hmac-sha256/v1"): take the population's entry
//     ids in their canonical lower-case text form, sorted and without
//     repeats; order them by HMAC-SHA256(key = the seed's UTF-8 bytes,
//     message = the id's text), ties (never seen) by the id; the first k
//     are the sample, in that order. PopulationDigest is the hex SHA-256
//     of the sorted ids, each followed by "\n". The same seed over the
//     same population gives the same sample, so anyone holding the event
//     (seed, parameters, size, digest, chosen ids) can repeat the draw.
//   - The review: each sampled entry is reviewed once (a second review is
//     refused, 409 ErrAlreadyReviewed), upheld or revoked, with a reason
//     (required either way). A revocation is carried to the teacher's
//     credit ledger as credit.Revoked with the audit as its reason and the
//     review event as its cause, so totals and registration checks drop
//     the entry.
//
// It is pure: the population, the seed, time and identifiers are passed in.
package creditaudit
