package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientAddr(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.168.1.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8,not-an-ip"); err == nil {
		t.Fatal("a bad TRUSTED_PROXIES entry was accepted")
	}
	for _, tc := range []struct {
		name    string
		trusted bool
		peer    string
		xff     []string
		realIP  string
		want    string
	}{
		{"no proxies configured: headers ignored", false, "203.0.113.7:5000", []string{"1.2.3.4"}, "5.6.7.8", "203.0.113.7"},
		{"untrusted peer: headers ignored", true, "203.0.113.7:5000", []string{"1.2.3.4"}, "5.6.7.8", "203.0.113.7"},
		{"trusted proxy: client from XFF", true, "10.1.2.3:5000", []string{"198.51.100.9"}, "", "198.51.100.9"},
		{"spoofed left part ignored", true, "10.1.2.3:5000", []string{"1.1.1.1, 198.51.100.9"}, "", "198.51.100.9"},
		{"chain of trusted proxies", true, "10.1.2.3:5000", []string{"198.51.100.9, 192.168.1.1", "10.9.9.9"}, "", "198.51.100.9"},
		{"X-Real-IP from a trusted proxy", true, "192.168.1.1:80", nil, "198.51.100.20", "198.51.100.20"},
		{"only trusted hops: peer kept", true, "10.1.2.3:5000", []string{"10.2.2.2"}, "", "10.1.2.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			list := trusted
			if !tc.trusted {
				list = nil
			}
			h := ClientAddr(list)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = clientIP(r) }))
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if tc.realIP != "" {
				r.Header.Set("X-Real-IP", tc.realIP)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != tc.want {
				t.Fatalf("client %q, want %q", got, tc.want)
			}
		})
	}
}
