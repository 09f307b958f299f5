package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// blockingWriter is a client that reads nothing: every write blocks until
// the test lets it go.
type blockingWriter struct {
	*httptest.ResponseRecorder
	once    sync.Once
	wrote   chan struct{}
	release chan struct{}
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	b.once.Do(func() { close(b.wrote) })
	<-b.release
	return b.ResponseRecorder.Write(p)
}

// An export finishes reading (and gives its database connection back)
// before the first byte goes to the client, however slowly it reads.
func TestSpoolReleasesTheSourceBeforeTheClientReads(t *testing.T) {
	var sourceDone atomic.Bool
	w := &blockingWriter{ResponseRecorder: httptest.NewRecorder(), wrote: make(chan struct{}), release: make(chan struct{})}
	errc := make(chan error, 1)
	go func() {
		errc <- spool(w, "text/csv", "x.csv", func(out io.Writer) error {
			_, err := io.WriteString(out, strings.Repeat("行,数据\n", 100000))
			sourceDone.Store(true) // here the rows and their connection are released
			return err
		})
	}()
	select {
	case <-w.wrote:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing was written")
	}
	if !sourceDone.Load() {
		t.Fatal("the client was written to while the source was still being read")
	}
	close(w.release)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusOK || w.Header().Get("Content-Length") == "" || w.Body.Len() != len(strings.Repeat("行,数据\n", 100000)) {
		t.Fatalf("%d %v %d", w.Code, w.Header(), w.Body.Len())
	}
}

// Downloads get their own, longer write deadline; other answers keep the
// server's.
func TestExportDeadlineOnlyForDownloads(t *testing.T) {
	for path, want := range map[string]bool{"/api/v1/audit/key-field-changes?format=csv": true, "/api/v1/teachers?format=xlsx": true,
		"/api/v1/enrollments/x/certificate.pdf": true, "/api/v1/teachers": false, "/api/v1/me": false} {
		rec := &deadlineRecorder{ResponseRecorder: httptest.NewRecorder()}
		exportDeadline(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.set != want {
			t.Errorf("%s: deadline extended %v, want %v", path, rec.set, want)
		}
	}
}

type deadlineRecorder struct {
	*httptest.ResponseRecorder
	set bool
}

func (d *deadlineRecorder) SetWriteDeadline(time.Time) error { d.set = true; return nil }
