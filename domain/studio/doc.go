// Package studio is the community part of the personal space: famous-teacher
// studios (名师工作室, stream studio-<uuid>) that teachers join or follow, and
// the managed lists of links for recommended reading (推荐阅读) and the
// live-broadcast centre (直播中心), stream links-<kind>.
//
// It may import the standard library, uuid, domain, domain/event and
// domain/access. It is pure: time and identifiers are passed in.
package studio
