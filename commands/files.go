package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/file"
)

// FileStore keeps uploaded files (evidence, achievement scans, appraisal
// and import spreadsheets) in PostgreSQL, keyed by the SHA-256 of their
// content: the same file uploaded twice is stored once, and an event that
// names a hash can never point at content changed after it was recorded.
// Who uploaded a blob is kept beside it, so a download can be authorized.
type FileStore struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewFileStore panics on missing wiring.
func NewFileStore(pool *pgxpool.Pool, now func() time.Time) *FileStore {
	if pool == nil || now == nil {
		panic("commands: NewFileStore needs a pool and a clock")
	}
	return &FileStore{pool: pool, now: now}
}

// Kinds of stored files: attachments follow file.ValidateFile; sheets are
// the uploads of results and imports, checked by their own reader.
const (
	FileAttachment = "attachment"
	FileSheet      = "sheet"
)

// Put stores data under its hash. An attachment is checked against the
// type and size limits of file.ValidateFile first.
func (s *FileStore) Put(ctx context.Context, actor access.Actor, kind, name, contentType string, data []byte) (file.FileRef, error) {
	sum := sha256.Sum256(data)
	ref := file.FileRef{SHA256: hex.EncodeToString(sum[:]), Name: name, Size: int64(len(data)), ContentType: contentType}
	if kind == FileAttachment {
		// The type is what the bytes are, not what the name or the
		// client says; a declared type that disagrees is refused.
		sniffed, err := file.Sniff(data)
		if err != nil {
			return file.FileRef{}, err
		}
		if declared := strings.TrimSpace(strings.Split(contentType, ";")[0]); declared != "" && declared != sniffed &&
			declared != "application/octet-stream" {
			return file.FileRef{}, domain.Invalid("file", "文件内容与声明的类型不符")
		}
		ref.ContentType, contentType = sniffed, sniffed
		if errs := file.ValidateFile("file", ref); len(errs) > 0 {
			return file.FileRef{}, &domain.ValidationError{Fields: errs}
		}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return file.FileRef{}, fmt.Errorf("files: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, `INSERT INTO credit_files (sha256, size, content_type, data, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING`, ref.SHA256, ref.Size, contentType, data, s.now().UTC()); err != nil {
		return file.FileRef{}, fmt.Errorf("files: store: %w", err)
	}
	var teacher *uuid.UUID
	if actor.Role == access.RoleTeacher {
		teacher = &actor.TeacherID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO credit_file_uploaders (sha256, account_id, teacher_id, name, uploaded_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256, account_id) DO NOTHING`, ref.SHA256, actor.UserID, teacher, name, s.now().UTC()); err != nil {
		return file.FileRef{}, fmt.Errorf("files: uploader: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return file.FileRef{}, fmt.Errorf("files: %w", err)
	}
	return ref, nil
}

// StoredFile is a blob and the teachers who uploaded it.
type StoredFile struct {
	SHA256      string
	Size        int64
	ContentType string
	Data        []byte
	Uploaders   []uuid.UUID
	Teachers    []uuid.UUID
}

// Get returns a blob; an unknown hash matches domain.ErrNotFound.
func (s *FileStore) Get(ctx context.Context, sha string) (StoredFile, error) {
	f := StoredFile{SHA256: sha}
	err := s.pool.QueryRow(ctx, `SELECT size, content_type, data FROM credit_files WHERE sha256 = $1`, sha).Scan(&f.Size, &f.ContentType, &f.Data)
	if errors.Is(err, pgx.ErrNoRows) {
		return StoredFile{}, fmt.Errorf("file %s: %w", sha, domain.ErrNotFound)
	}
	if err != nil {
		return StoredFile{}, fmt.Errorf("file %s: %w", sha, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT account_id, teacher_id FROM credit_file_uploaders WHERE sha256 = $1`, sha)
	if err != nil {
		return StoredFile{}, fmt.Errorf("file %s: %w", sha, err)
	}
	defer rows.Close()
	for rows.Next() {
		var acc uuid.UUID
		var t *uuid.UUID
		if err := rows.Scan(&acc, &t); err != nil {
			return StoredFile{}, fmt.Errorf("file %s: %w", sha, err)
		}
		f.Uploaders = append(f.Uploaders, acc)
		if t != nil {
			f.Teachers = append(f.Teachers, *t)
		}
	}
	return f, rows.Err()
}

// Has reports whether every reference names a stored blob, so an event
// never points at content the store does not hold.
func (s *FileStore) Has(ctx context.Context, refs ...file.FileRef) error {
	v := &domain.ValidationError{}
	for i, r := range refs {
		var size int64
		err := s.pool.QueryRow(ctx, `SELECT size FROM credit_files WHERE sha256 = $1`, r.SHA256).Scan(&size)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			v.Add(fmt.Sprintf("files[%d].sha256", i), "文件尚未上传")
		case err != nil:
			return fmt.Errorf("files: %w", err)
		case size != r.Size:
			v.Add(fmt.Sprintf("files[%d].size", i), "文件大小与已上传的文件不符")
		}
	}
	return v.Err()
}

// Owned is Has for files the actor must have uploaded itself (credit-bank
// evidence, an achievement's file, a photo): a hash someone else uploaded
// is answered like one never uploaded. With images, every file must be a
// JPEG or PNG.
func (s *FileStore) Owned(ctx context.Context, actor access.Actor, images bool, refs ...file.FileRef) error {
	v := &domain.ValidationError{}
	for i, r := range refs {
		var size int64
		var ctype string
		err := s.pool.QueryRow(ctx, `SELECT f.size, f.content_type FROM credit_files f
			JOIN credit_file_uploaders u ON u.sha256 = f.sha256 AND u.account_id = $2
			WHERE f.sha256 = $1`, r.SHA256, actor.UserID).Scan(&size, &ctype)
		field := fmt.Sprintf("files[%d]", i)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			v.Add(field+".sha256", "文件尚未上传（须是您本人上传的文件）")
		case err != nil:
			return fmt.Errorf("files: %w", err)
		case r.Size != 0 && size != r.Size:
			v.Add(field+".size", "文件大小与已上传的文件不符")
		case r.ContentType != "" && r.ContentType != ctype:
			v.Add(field+".content_type", "文件类型与已上传的文件不符")
		case images && !file.IsImage(ctype):
			v.Add(field+".content_type", "须为JPG或PNG图片")
		}
	}
	return v.Err()
}

// ownFiles checks, after a decision, that the files a command records are
// the actor's own uploads (and images where asked), naming field.
func (h *Handlers) ownFiles(ctx context.Context, actor access.Actor, images bool, field string, refs ...file.FileRef) error {
	if len(refs) == 0 {
		return nil
	}
	if h.Files == nil {
		return domain.Invalid(field, "无法核对上传的文件")
	}
	if err := h.Files.Owned(ctx, actor, images, refs...); err != nil {
		var v *domain.ValidationError
		if errors.As(err, &v) {
			for i := range v.Fields {
				v.Fields[i].Field = field + strings.TrimPrefix(v.Fields[i].Field, "files")
			}
		}
		return err
	}
	return nil
}
