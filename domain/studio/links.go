package studio

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
)

// ListKind names a managed list of links. Stored in events: never change.
type ListKind string

const (
	ListReading ListKind = "reading" // 推荐阅读
	ListLive    ListKind = "live"    // 直播中心
)

// Valid reports whether k is known.
func (k ListKind) Valid() bool { return k == ListReading || k == ListLive }

// Label is the Chinese name shown to users.
func (k ListKind) Label() string {
	switch k {
	case ListReading:
		return "推荐阅读"
	case ListLive:
		return "直播中心"
	}
	return string(k)
}

// LinksStreamName is the stream of one list.
func LinksStreamName(k ListKind) string { return "links-" + string(k) }

// Link is one entry of a list.
type Link struct {
	ID      uuid.UUID `json:"id"`
	Kind    ListKind  `json:"kind"`
	Title   string    `json:"title"`
	URL     string    `json:"url"`
	Summary string    `json:"summary,omitempty"`
	// StartsAt is when a live broadcast begins; zero for reading.
	StartsAt    time.Time `json:"starts_at,omitzero"`
	PublishedAt time.Time `json:"published_at"`
}

// LinkList is one managed list.
type LinkList struct {
	event.Root
	kind  ListKind
	links []Link
}

// NewLinkList returns an empty list of kind; load history into it.
func NewLinkList(kind ListKind) *LinkList { return &LinkList{kind: kind} }

// Links returns the published links, newest first.
func (l *LinkList) Links() []Link {
	out := slices.Clone(l.links)
	slices.Reverse(out)
	return out
}

// Apply changes the state from an event; it never fails.
func (l *LinkList) Apply(e event.Event) {
	switch e := e.(type) {
	case *LinkPublished:
		l.links = append(l.links, e.Link)
	case *LinkWithdrawn:
		l.links = slices.DeleteFunc(l.links, func(x Link) bool { return x.ID == e.LinkID })
	}
}

// Lists are provincial content: only the province admin manages them.
func authorizeLinks(actor access.Actor) error {
	if actor.Role != access.RoleProvinceAdmin || access.JurisdictionLevel(actor.Jurisdiction) != "province" {
		return fmt.Errorf("studio: only the province admin manages link lists: %w", access.ErrForbidden)
	}
	return nil
}

// ValidLinkURL accepts absolute http and https URLs with a host and no
// credentials: anything else (javascript:, file:, relative paths) would be
// rendered as a live link in every teacher's personal space.
func ValidLinkURL(raw string) bool {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return false
	}
	return (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

// Publish adds a link.
func (l *LinkList) Publish(actor access.Actor, link Link, at time.Time) error {
	if err := authorizeLinks(actor); err != nil {
		return err
	}
	v := &domain.ValidationError{}
	if link.ID == uuid.Nil {
		v.Add("id", "缺少编号")
	}
	if link.Kind != l.kind || !l.kind.Valid() {
		v.Add("kind", "栏目不正确")
	}
	link.Title = limited(v, "title", link.Title, true, 200)
	link.Summary = limited(v, "summary", link.Summary, false, 500)
	link.URL = strings.TrimSpace(link.URL)
	if !ValidLinkURL(link.URL) {
		v.Add("url", "链接应为http或https网址")
	} else if len(link.URL) > 2000 {
		v.Add("url", "链接过长")
	}
	if l.kind == ListLive && link.StartsAt.IsZero() {
		v.Add("starts_at", "请填写直播开始时间")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if slices.ContainsFunc(l.links, func(x Link) bool { return x.ID == link.ID }) {
		return fmt.Errorf("studio: link %s exists: %w", link.ID, domain.ErrDuplicate)
	}
	link.PublishedAt = at
	l.Record(l, &LinkPublished{Link: link, PublishedBy: actor.UserID, At: at})
	return nil
}

// Withdraw removes a link from the list.
func (l *LinkList) Withdraw(actor access.Actor, id uuid.UUID, at time.Time) error {
	if err := authorizeLinks(actor); err != nil {
		return err
	}
	if !slices.ContainsFunc(l.links, func(x Link) bool { return x.ID == id }) {
		return fmt.Errorf("studio: link %s: %w", id, domain.ErrNotFound)
	}
	l.Record(l, &LinkWithdrawn{Kind: l.kind, LinkID: id, WithdrawnBy: actor.UserID, At: at})
	return nil
}
