package institution

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
)

// Stored event type names. Never rename.
const (
	TypeRegistered     = "institution.registered"
	TypeContactChanged = "institution.contact_changed"
)

// StreamName is the event stream of one institution.
func StreamName(id uuid.UUID) string { return "institution-" + id.String() }

// RegisterEvents adds the institution event types to r.
func RegisterEvents(r *event.Registry) {
	r.Register(func() event.Event { return &Registered{} })
	r.Register(func() event.Event { return &ContactChanged{} })
}

// Registered enters an institution in the register.
type Registered struct {
	InstitutionID uuid.UUID `json:"institution_id"`
	Name          string    `json:"name"`
	Code          string    `json:"code"`
	Contact       string    `json:"contact"`
	At            time.Time `json:"at"`
}

// ContactChanged replaces the contact (person and phone).
type ContactChanged struct {
	Old string    `json:"old"`
	New string    `json:"new"`
	At  time.Time `json:"at"`
}

func (*Registered) EventType() string     { return TypeRegistered }
func (*ContactChanged) EventType() string { return TypeContactChanged }

// ErrNotProvinceAdmin: only the province keeps the register.
var ErrNotProvinceAdmin = fmt.Errorf("%w: only the province administrator registers training institutions", access.ErrForbidden)

// Registration is the input of Register.
type Registration struct {
	Name    string
	Code    string // the institution's own short code (unified social credit code or an agreed code)
	Contact string
}

// codePattern admits the 18-character unified social credit code as well as
// shorter agreed codes: letters, digits and hyphens.
var codePattern = regexp.MustCompile(`^[0-9A-Z-]{2,32}$`)

// Institution is the aggregate.
type Institution struct {
	event.Root
	id      uuid.UUID
	name    string
	code    string
	contact string
}

// New returns an empty institution with id, to register or load into.
func New(id uuid.UUID) *Institution { return &Institution{id: id} }

func (i *Institution) ID() uuid.UUID   { return i.id }
func (i *Institution) Name() string    { return i.name }
func (i *Institution) Code() string    { return i.code }
func (i *Institution) Contact() string { return i.contact }
func (i *Institution) Exists() bool    { return i.name != "" }

// CanRegister: the province administrator (or the system).
func CanRegister(a access.Actor) bool {
	return a.Role == access.RoleSystem || (a.Role == access.RoleProvinceAdmin && a.Jurisdiction != "" && len(a.Jurisdiction) == 2)
}

// Register validates and records Registered.
func (i *Institution) Register(a access.Actor, in Registration, at time.Time) error {
	if !CanRegister(a) {
		return ErrNotProvinceAdmin
	}
	if i.Exists() {
		return fmt.Errorf("%w: institution %s", domain.ErrDuplicate, i.id)
	}
	name, code, contact := strings.TrimSpace(in.Name), strings.ToUpper(strings.TrimSpace(in.Code)), strings.TrimSpace(in.Contact)
	v := &domain.ValidationError{}
	if i.id == uuid.Nil {
		v.Add("id", "机构标识不能为空")
	}
	switch {
	case name == "":
		v.Add("name", "机构名称不能为空")
	case utf8.RuneCountInString(name) > 100:
		v.Add("name", "机构名称不能超过100个字")
	}
	if !codePattern.MatchString(code) {
		v.Add("code", "机构代码须为2到32位字母、数字或连字符")
	}
	if contact == "" {
		v.Add("contact", "联系人及电话不能为空")
	}
	if err := v.Err(); err != nil {
		return err
	}
	i.Record(i, &Registered{InstitutionID: i.id, Name: name, Code: code, Contact: contact, At: at})
	return nil
}

// ChangeContact replaces the contact.
func (i *Institution) ChangeContact(a access.Actor, contact string, at time.Time) error {
	if !i.Exists() {
		return domain.ErrNotFound
	}
	if !CanRegister(a) {
		return ErrNotProvinceAdmin
	}
	contact = strings.TrimSpace(contact)
	if contact == "" {
		return domain.Invalid("contact", "联系人及电话不能为空")
	}
	if contact == i.contact {
		return nil
	}
	i.Record(i, &ContactChanged{Old: i.contact, New: contact, At: at})
	return nil
}

// Apply changes state from one event.
func (i *Institution) Apply(e event.Event) {
	switch e := e.(type) {
	case *Registered:
		i.id, i.name, i.code, i.contact = e.InstitutionID, e.Name, e.Code, e.Contact
	case *ContactChanged:
		i.contact = e.New
	}
}
