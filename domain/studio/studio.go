package studio

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
)

// StreamName is the stream of a studio.
func StreamName(id uuid.UUID) string { return "studio-" + id.String() }

// ErrClosed: the studio no longer takes members or followers.
var ErrClosed = domain.Refusal("studio: closed", "该工作室已关闭，不再接受加入或关注")

// Studio is a famous-teacher studio and who joined and follows it.
type Studio struct {
	event.Root
	id        uuid.UUID
	created   *Created
	closed    bool
	members   map[uuid.UUID]bool
	followers map[uuid.UUID]bool
}

// New returns an empty studio; load history into it or call Create.
func New(id uuid.UUID) *Studio {
	return &Studio{id: id, members: map[uuid.UUID]bool{}, followers: map[uuid.UUID]bool{}}
}

func (s *Studio) ID() uuid.UUID  { return s.id }
func (s *Studio) Closed() bool   { return s.closed }
func (s *Studio) Exists() bool   { return s.created != nil }
func (s *Studio) Region() string { return s.created.Region }

// Info is the studio as created.
func (s *Studio) Info() Created { return *s.created }

// Member and Follower report a teacher's relation to the studio.
func (s *Studio) Member(teacherID uuid.UUID) bool   { return s.members[teacherID] }
func (s *Studio) Follower(teacherID uuid.UUID) bool { return s.followers[teacherID] }

// Counts are for the studio page.
func (s *Studio) Counts() (members, followers int) { return len(s.members), len(s.followers) }

// Apply changes the state from an event; it never fails.
func (s *Studio) Apply(e event.Event) {
	switch e := e.(type) {
	case *Created:
		s.id, s.created = e.StudioID, e
		s.members[e.HostTeacherID] = true
	case *Closed:
		s.closed = true
	case *Joined:
		s.members[e.TeacherID] = true
	case *Left:
		delete(s.members, e.TeacherID)
	case *Followed:
		s.followers[e.TeacherID] = true
	case *Unfollowed:
		delete(s.followers, e.TeacherID)
	}
}

// Level is the Chinese name of a studio's level, from its region: studios
// are designated by the province, a city or a county.
func Level(region string) string {
	switch access.JurisdictionLevel(region) {
	case "province":
		return "省级"
	case "city":
		return "市级"
	case "county":
		return "县级"
	}
	return ""
}

// Creation is the input of Create.
type Creation struct {
	Name          string
	HostTeacherID uuid.UUID
	HostName      string
	// Region is the designating region: 2, 4 or 6 digits.
	Region      string
	Subject     string
	Description string
}

// Create designates the studio. An admin designates studios in their own
// jurisdiction.
func (s *Studio) Create(actor access.Actor, c Creation, at time.Time) error {
	if s.created != nil {
		return fmt.Errorf("studio %s exists: %w", s.id, domain.ErrDuplicate)
	}
	if !actor.Role.IsAdmin() || !actor.Covers(c.Region) {
		return fmt.Errorf("studio: only an admin of the region designates studios: %w", access.ErrForbidden)
	}
	v := &domain.ValidationError{}
	if s.id == uuid.Nil {
		v.Add("studio_id", "缺少编号")
	}
	name := limited(v, "name", c.Name, true, 100)
	host := limited(v, "host_name", c.HostName, true, 50)
	if c.HostTeacherID == uuid.Nil {
		v.Add("host_teacher_id", "请选择主持人")
	}
	if Level(c.Region) == "" {
		v.Add("region", "地区代码不正确")
	}
	subject := limited(v, "subject", c.Subject, false, 50)
	desc := limited(v, "description", c.Description, false, 2000)
	if err := v.Err(); err != nil {
		return err
	}
	s.Record(s, &Created{
		StudioID: s.id, Name: name, HostTeacherID: c.HostTeacherID, HostName: host,
		Region: c.Region, Subject: subject, Description: desc, CreatedBy: actor.UserID, At: at,
	})
	return nil
}

// Close ends the studio, by an admin of its region, with a reason.
func (s *Studio) Close(actor access.Actor, reason string, at time.Time) error {
	if err := s.open(); err != nil {
		return err
	}
	if !actor.Role.IsAdmin() || !actor.Covers(s.created.Region) {
		return fmt.Errorf("studio: only an admin of the region closes studios: %w", access.ErrForbidden)
	}
	if reason = strings.TrimSpace(reason); reason == "" {
		return domain.Invalid("reason", "请说明撤销原因")
	}
	s.Record(s, &Closed{StudioID: s.id, Reason: reason, ClosedBy: actor.UserID, At: at})
	return nil
}

func (s *Studio) open() error {
	if s.created == nil {
		return fmt.Errorf("studio %s: %w", s.id, domain.ErrNotFound)
	}
	if s.closed {
		return ErrClosed
	}
	return nil
}

func (s *Studio) teacher(actor access.Actor) (uuid.UUID, error) {
	if actor.Role != access.RoleTeacher || actor.TeacherID == uuid.Nil {
		return uuid.Nil, fmt.Errorf("studio: only a teacher joins or follows: %w", access.ErrForbidden)
	}
	return actor.TeacherID, nil
}

// Join makes the acting teacher a member. Joining again records nothing.
func (s *Studio) Join(actor access.Actor, at time.Time) error {
	id, err := s.teacher(actor)
	if err != nil {
		return err
	}
	if err := s.open(); err != nil {
		return err
	}
	if !s.members[id] {
		s.Record(s, &Joined{Membership{StudioID: s.id, TeacherID: id, At: at}})
	}
	return nil
}

// Leave ends the acting teacher's membership; the host cannot leave their
// own studio. Leaving a closed studio is allowed: it tidies the teacher's list.
func (s *Studio) Leave(actor access.Actor, at time.Time) error {
	id, err := s.teacher(actor)
	if err != nil {
		return err
	}
	if s.created == nil {
		return fmt.Errorf("studio %s: %w", s.id, domain.ErrNotFound)
	}
	if id == s.created.HostTeacherID {
		return domain.Refusal("studio: the host cannot leave", "工作室主持人不能退出本工作室")
	}
	if !s.members[id] {
		return domain.Refusal("studio: not a member", "您不是该工作室的成员")
	}
	s.Record(s, &Left{Membership{StudioID: s.id, TeacherID: id, At: at}})
	return nil
}

// Follow subscribes the acting teacher; following again records nothing.
func (s *Studio) Follow(actor access.Actor, at time.Time) error {
	id, err := s.teacher(actor)
	if err != nil {
		return err
	}
	if err := s.open(); err != nil {
		return err
	}
	if !s.followers[id] {
		s.Record(s, &Followed{Membership{StudioID: s.id, TeacherID: id, At: at}})
	}
	return nil
}

// Unfollow ends the subscription; unfollowing twice records nothing, so a
// double click is harmless.
func (s *Studio) Unfollow(actor access.Actor, at time.Time) error {
	id, err := s.teacher(actor)
	if err != nil {
		return err
	}
	if s.created == nil {
		return fmt.Errorf("studio %s: %w", s.id, domain.ErrNotFound)
	}
	if s.followers[id] {
		s.Record(s, &Unfollowed{Membership{StudioID: s.id, TeacherID: id, At: at}})
	}
	return nil
}

func limited(v *domain.ValidationError, field, s string, required bool, max int) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		v.Add(field, "不能为空")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, fmt.Sprintf("不能超过%d字", max))
	}
	return s
}
