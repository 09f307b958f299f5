// Package sso issues the short-lived signed assertion a teacher carries from
// the personal space to an institution's remote-learning platform ("enter
// remote learning" without another password), publishes the public keys as a
// JWKS, and holds a reference verifier institutions can copy.
//
// Tokens are compact JWS (JWT) signed with Ed25519 (alg EdDSA) through
// go-jose/v4. The protocol for institutions is in docs/SSO.md.
//
// It may import the standard library, go-jose and uuid; it does no network
// I/O: keys come in as values or PEM bytes, tokens and JWKS go out as bytes.
package sso
