package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads TRUSTED_PROXIES: comma-separated CIDRs or
// addresses of the reverse proxies in front of the service.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("TRUSTED_PROXIES: %q is neither a CIDR nor an address", part)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// ClientAddr sets r.RemoteAddr to the client's address. Proxy headers
// (X-Forwarded-For, X-Real-IP) count only when the connection comes from a
// trusted proxy, and then X-Forwarded-For is read from the right, skipping
// trusted hops, so a client cannot choose its own address by sending the
// header: rate limits and the security audit see the real peer. With no
// trusted proxies (the default) the headers are ignored.
func ClientAddr(trusted []netip.Prefix) func(http.Handler) http.Handler {
	isTrusted := func(a netip.Addr) bool {
		a = a.Unmap()
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if len(trusted) == 0 {
				next.ServeHTTP(w, r)
				return
			}
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				host = r.RemoteAddr
			}
			peer, err := netip.ParseAddr(host)
			if err != nil || !isTrusted(peer) {
				next.ServeHTTP(w, r)
				return
			}
			client := ""
			hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
			for i := len(hops) - 1; i >= 0; i-- {
				a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
				if err != nil {
					break // a malformed hop: trust nothing left of it
				}
				if !isTrusted(a) {
					client = a.Unmap().String()
					break
				}
			}
			if client == "" {
				if a, err := netip.ParseAddr(strings.TrimSpace(r.Header.Get("X-Real-IP"))); err == nil {
					client = a.Unmap().String()
				}
			}
			if client != "" {
				r2 := *r
				r2.RemoteAddr = net.JoinHostPort(client, "0")
				r = &r2
			}
			next.ServeHTTP(w, r)
		})
	}
}
