package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// ExportWriteTimeout is how long a download may take to reach a slow
// client; the server's write timeout for every other answer is shorter.
const ExportWriteTimeout = 10 * time.Minute

// exportDeadline gives downloads (?format=csv|xlsx, PDFs, error reports)
// a longer write deadline than the server's, deliberately and per response.
func exportDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isDownload(r) { // limits.go
			_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(ExportWriteTimeout))
		}
		next.ServeHTTP(w, r)
	})
}

// spool writes an export to a temporary file first and sends it after: the
// database connection the export reads from is back in the pool before the
// first byte goes to a client that may read slowly or not at all.
func spool(w http.ResponseWriter, contentType, filename string, write func(io.Writer) error) error {
	f, err := os.CreateTemp("", "record-export-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	w.Header().Set("Content-Length", fmt.Sprint(size))
	w.WriteHeader(http.StatusOK)
	_, err = io.Copy(w, f)
	return err
}
