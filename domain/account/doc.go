// Package account is the Account aggregate: a user's login, role and
// jurisdiction, stream "account-<uuid>", and the facts of its password life
// (changed, reset, locked, unlocked, disabled).
//
// Events never contain a password or a hash: only that something happened,
// by whom, and for a reset that the user must change the password at next
// login. The hash lives outside the event store, beside the account id.
//
// Pure: imports only the standard library, uuid and domain packages.
package account
