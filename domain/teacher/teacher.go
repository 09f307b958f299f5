package teacher

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hbte/record/domain"
	"github.com/hbte/record/domain/access"
	"github.com/hbte/record/domain/event"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/domain/region"
)

// Teacher is the aggregate. Build it with New or Load; change it only
// through its decision methods.
type Teacher struct {
	event.Root
	id         uuid.UUID
	registered bool
	profile    Profile
	unitName   string
	// legacyCert: the certificate number was accepted by an admin override,
	// so the certificate type no longer has to agree with it.
	legacyCert  bool
	corrections []*Correction
	transfers   []*Transfer
	// erased: the personal data was erased (erasure.go); read-only.
	erased bool
}

// UnitRef is what the teacher needs to know of a unit; the command handler
// reads it from the unit's stream or read model.
type UnitRef struct {
	ID     uuid.UUID
	Name   string
	County string
}

// Registration is the input of Register. Profile's City, County and UnitID
// are ignored: they come from Unit.
type Registration struct {
	Profile Profile
	Unit    UnitRef
	// CertificateOverride is an admin's reason to accept a legacy
	// certificate number that does not fit the national layout.
	CertificateOverride string
}

// New is a teacher with no history, ready for Register.
func New(id uuid.UUID) *Teacher { return &Teacher{id: id} }

// Load rebuilds a teacher from its stream.
func Load(id uuid.UUID, history []event.Envelope) *Teacher {
	t := New(id)
	t.Root.Load(t, history)
	return t
}

func (t *Teacher) ID() uuid.UUID           { return t.id }
func (t *Teacher) Registered() bool        { return t.registered }
func (t *Teacher) Profile() Profile        { return t.profile }
func (t *Teacher) County() string          { return t.profile.County }
func (t *Teacher) City() string            { return t.profile.City }
func (t *Teacher) UnitName() string        { return t.unitName }
func (t *Teacher) LegacyCertificate() bool { return t.legacyCert }

// UnitID is the teacher's unit, uuid.Nil before registration.
func (t *Teacher) UnitID() uuid.UUID {
	id, _ := uuid.Parse(t.profile.UnitID)
	return id
}

// isCountyAdminOf: the only actor allowed to change key fields, decide
// corrections and start transfers.
func isCountyAdminOf(a access.Actor, county string) bool {
	return a.Role == access.RoleCountyAdmin && county != "" && a.Covers(county)
}

func (t *Teacher) isSelf(a access.Actor) bool {
	return a.Role == access.RoleTeacher && a.TeacherID == t.id && t.id != uuid.Nil
}

// Register enters a new teacher: by an admin of the unit's county (or the
// system actor, for imports). Gender and birth date may be left empty with a
// resident ID: they are taken from it; when given they must agree with it.
// The returned warnings (e.g. an old area code in the ID number) do not
// stop registration but should be shown to the admin.
func (t *Teacher) Register(r Registration, actor access.Actor, now time.Time) ([]ident.Warning, error) {
	if t.registered {
		return nil, ErrAlreadyRegistered
	}
	if t.id == uuid.Nil {
		return nil, domain.Invalid("teacher_id", "缺少教师标识")
	}
	if err := checkUnit(r.Unit); err != nil {
		return nil, err
	}
	if !(isCountyAdminOf(actor, r.Unit.County) || actor.Role == access.RoleSystem) {
		return nil, ErrRegisterNeedsCountyAdmin
	}
	var p Profile
	var errs domain.ValidationError
	changed := map[string]bool{}
	for _, s := range fieldSpecs {
		if s.derived {
			continue
		}
		v, err := normalize(s.name, *s.ptr(&r.Profile), now)
		if err != nil {
			collect(&errs, err)
			continue
		}
		*s.ptr(&p) = v
		changed[s.name] = true
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	p.County, p.City, p.UnitID = r.Unit.County, r.Unit.County[:4], r.Unit.ID.String()
	changed[FieldCounty], changed[FieldUnit] = true, true
	fillFromResidentID(&p, now)

	override, legacy, err := certificateOverride(p.CertificateNumber, p.CertificateType, r.CertificateOverride, now)
	if err != nil {
		return nil, err
	}
	if legacy {
		if p.CertificateNumber, err = ident.NormalizeLegacyCertificateNumber(p.CertificateNumber); err != nil {
			return nil, err
		}
	}
	warnings, err := checkRules(&p, changed, legacy, now)
	if err != nil {
		return nil, err
	}
	t.Record(t, &Registered{
		TeacherID: t.id, Profile: p, UnitName: strings.TrimSpace(r.Unit.Name),
		CertificateOverride: override, Warnings: warnings,
		ActorID: actor.UserID, ActorRole: actor.Role,
	})
	return warnings, nil
}

func checkUnit(u UnitRef) error {
	if u.ID == uuid.Nil {
		return domain.Invalid(FieldUnit, "请选择单位")
	}
	if _, ok := region.Default().County(u.County); !ok {
		return domain.Invalid(FieldCounty, fmt.Sprintf("“%s”不是有效的区县代码", u.County))
	}
	return nil
}

// fillFromResidentID takes gender and birth date from a valid resident ID
// when they are empty, so an admin types them once.
func fillFromResidentID(p *Profile, now time.Time) {
	if p.IDType != ident.IDTypeResident {
		return
	}
	id, _, err := ident.ParseResidentID(p.IDNumber, now)
	if err != nil {
		return // reported by checkRules
	}
	if p.Gender == "" {
		p.Gender = id.Gender
	}
	if p.BirthDate == "" {
		p.BirthDate = id.BirthDate.Format(ident.DateLayout)
	}
}

// certificateOverride decides whether an admin's override applies: only to
// a number that fails the national layout, and only with a reason.
func certificateOverride(number, certType, reason string, now time.Time) (override string, legacy bool, err error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || number == "" {
		return "", false, nil
	}
	if _, perr := ident.ParseCertificateNumber(number, certType, now); perr == nil {
		return "", false, nil // fits: an override would only hide that
	}
	if utf8.RuneCountInString(reason) > maxReason {
		return "", false, domain.Invalid("override", fmt.Sprintf("例外说明不能超过%d个字", maxReason))
	}
	return reason, true, nil
}

const maxReason = 500

func requireReason(field, reason string) (string, error) {
	r := strings.TrimSpace(reason)
	if r == "" {
		return "", domain.Invalid(field, "请填写理由")
	}
	if utf8.RuneCountInString(r) > maxReason {
		return "", domain.Invalid(field, fmt.Sprintf("理由不能超过%d个字", maxReason))
	}
	return r, nil
}

func collect(errs *domain.ValidationError, err error) {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		errs.Fields = append(errs.Fields, ve.Fields...)
		return
	}
	errs.Add("", err.Error())
}

// EditOrdinary changes ordinary fields: by the teacher on their own record
// or by an admin covering the teacher's county. changes maps field names to
// new values ("" clears). Unchanged values are skipped; nothing changed is no
// error. Mobile and e-mail must have been confirmed by a code before this is
// called (the command handler owns the code).
func (t *Teacher) EditOrdinary(actor access.Actor, changes map[string]string, reason string, now time.Time) error {
	if !t.registered {
		return ErrNotRegistered
	}
	if !(t.isSelf(actor) || actor.Role.IsAdmin() && actor.Covers(t.profile.County) || actor.Role == access.RoleSystem) {
		return ErrNotOwnRecordOrAdmin
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > maxReason {
		return domain.Invalid("reason", fmt.Sprintf("理由不能超过%d个字", maxReason))
	}
	cand := t.profile
	changed := map[string]bool{}
	var errs domain.ValidationError
	for _, f := range slices.Sorted(maps.Keys(changes)) {
		if !IsOrdinaryField(f) {
			if IsKeyField(f) {
				errs.Add(f, FieldLabel(f)+"是关键字段，须由区县管理员更正，或提交更正申请")
			} else {
				errs.Add(f, "未知字段")
			}
			continue
		}
		v, err := normalize(f, changes[f], now)
		if err != nil {
			collect(&errs, err)
			continue
		}
		if v != t.profile.Get(f) {
			*specByName[f].ptr(&cand) = v
			changed[f] = true
		}
	}
	if err := errs.Err(); err != nil {
		return err
	}
	if _, err := checkRules(&cand, changed, t.legacyCert, now); err != nil {
		return err
	}
	for _, s := range fieldSpecs {
		if changed[s.name] {
			t.Record(t, &OrdinaryFieldEdited{
				TeacherID: t.id, Field: s.name, Old: t.profile.Get(s.name), New: cand.Get(s.name),
				Reason: reason, ActorID: actor.UserID, ActorRole: actor.Role,
			})
		}
	}
	return nil
}

// CorrectKeyField changes one key field; see CorrectKeyFields.
func (t *Teacher) CorrectKeyField(actor access.Actor, field, value, reason, override string, now time.Time) ([]ident.Warning, error) {
	return t.CorrectKeyFields(actor, map[string]string{field: value}, reason, override, now)
}

// CorrectKeyFields changes key fields at once (e.g. an ID type and number
// together): only an admin of the teacher's county, always with a reason.
// override is the reason to accept a legacy certificate number ("" for
// none). A corrected resident ID number also corrects gender and birth date
// when they disagree with it, as events of their own marked as following it.
// The unit changes with ChangeUnit, city and county with a transfer.
func (t *Teacher) CorrectKeyFields(actor access.Actor, changes map[string]string, reason, override string, now time.Time) ([]ident.Warning, error) {
	if !t.registered {
		return nil, ErrNotRegistered
	}
	if !isCountyAdminOf(actor, t.profile.County) {
		return nil, ErrKeyFieldNeedsCountyAdmin
	}
	reason, err := requireReason("reason", reason)
	if err != nil {
		return nil, err
	}
	plan, err := t.planKeyChanges(changes, override, now)
	if err != nil {
		return nil, err
	}
	t.recordPlan(plan, reason, uuid.Nil, actor)
	return plan.warnings, nil
}

type keyChange struct {
	field, old, new string
	follows         string
}

type keyPlan struct {
	changes  []keyChange
	override string
	warnings []ident.Warning
}

// planKeyChanges validates key-field changes against the current record and
// lists the events they make, forced changes included.
func (t *Teacher) planKeyChanges(changes map[string]string, override string, now time.Time) (keyPlan, error) {
	cand := t.profile
	changed := map[string]bool{}
	var errs domain.ValidationError
	for _, f := range slices.Sorted(maps.Keys(changes)) {
		s, ok := specByName[f]
		switch {
		case !ok:
			errs.Add(f, "未知字段")
			continue
		case !s.key:
			errs.Add(f, FieldLabel(f)+"不是关键字段，请直接修改")
			continue
		case f == FieldUnit:
			errs.Add(f, "同一区县内更换单位请使用“更换单位”，跨区县请办理异动")
			continue
		case s.derived:
			errs.Add(f, FieldLabel(f)+"随单位确定，跨区县调动请办理异动")
			continue
		}
		v, err := normalize(f, changes[f], now)
		if err != nil {
			collect(&errs, err)
			continue
		}
		if v != t.profile.Get(f) {
			*s.ptr(&cand) = v
			changed[f] = true
		}
	}
	if err := errs.Err(); err != nil {
		return keyPlan{}, err
	}
	if len(changed) == 0 {
		return keyPlan{}, domain.Invalid(firstKey(changes), "新值与原值相同，无需更正")
	}
	var follows []string
	if changed[FieldIDNumber] || changed[FieldIDType] {
		if cand.IDType == ident.IDTypeResident {
			if id, _, err := ident.ParseResidentID(cand.IDNumber, now); err == nil {
				if g := id.Gender; !changed[FieldGender] && cand.Gender != g {
					cand.Gender = g
					follows = append(follows, FieldGender)
				}
				if b := id.BirthDate.Format(ident.DateLayout); !changed[FieldBirthDate] && cand.BirthDate != b {
					cand.BirthDate = b
					follows = append(follows, FieldBirthDate)
				}
			}
		}
	}
	plan := keyPlan{}
	legacy := t.legacyCert
	if changed[FieldCertificateNumber] {
		var err error
		plan.override, legacy, err = certificateOverride(cand.CertificateNumber, cand.CertificateType, override, now)
		if err != nil {
			return keyPlan{}, err
		}
		if legacy {
			if cand.CertificateNumber, err = ident.NormalizeLegacyCertificateNumber(cand.CertificateNumber); err != nil {
				return keyPlan{}, err
			}
		}
	}
	// Forced changes are checked like the others (a birth date that follows
	// the ID must still fit the start of work).
	checked := maps.Clone(changed)
	for _, f := range follows {
		checked[f] = true
	}
	warnings, err := checkRules(&cand, checked, legacy, now)
	if err != nil {
		return keyPlan{}, err
	}
	plan.warnings = warnings
	for _, s := range fieldSpecs {
		if changed[s.name] {
			plan.changes = append(plan.changes, keyChange{field: s.name, old: t.profile.Get(s.name), new: cand.Get(s.name)})
		}
	}
	for _, f := range follows {
		plan.changes = append(plan.changes, keyChange{field: f, old: t.profile.Get(f), new: cand.Get(f), follows: FieldIDNumber})
	}
	return plan, nil
}

func firstKey(m map[string]string) string {
	keys := slices.Sorted(maps.Keys(m))
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

func (t *Teacher) recordPlan(plan keyPlan, reason string, correctionID uuid.UUID, actor access.Actor) {
	for _, c := range plan.changes {
		e := &KeyFieldCorrected{
			TeacherID: t.id, Field: c.field, Old: c.old, New: c.new, Reason: reason,
			CorrectionID: correctionID, FollowsField: c.follows,
			ActorID: actor.UserID, ActorRole: actor.Role,
		}
		if c.follows != "" {
			e.Reason = "随" + FieldLabel(c.follows) + "更正：" + reason
		}
		if c.field == FieldCertificateNumber {
			e.Override = plan.override
		}
		if c.field == FieldIDNumber {
			e.Warnings = plan.warnings
		}
		t.Record(t, e)
	}
}

// ChangeUnit moves the teacher to another unit of the same county: a key
// field, so only an admin of the county, with a reason. Moving to another
// county is a transfer.
func (t *Teacher) ChangeUnit(actor access.Actor, unit UnitRef, reason string, now time.Time) error {
	if !t.registered {
		return ErrNotRegistered
	}
	if !isCountyAdminOf(actor, t.profile.County) {
		return ErrKeyFieldNeedsCountyAdmin
	}
	if _, open := t.OpenTransfer(); open {
		return ErrUnitChangeInTransfer
	}
	if err := checkUnit(unit); err != nil {
		return err
	}
	if unit.County != t.profile.County {
		return domain.Invalid(FieldUnit, "新单位不在本区县，跨区县调动请办理异动")
	}
	if unit.ID.String() == t.profile.UnitID {
		return domain.Invalid(FieldUnit, "新单位与原单位相同")
	}
	reason, err := requireReason("reason", reason)
	if err != nil {
		return err
	}
	t.Record(t, &KeyFieldCorrected{
		TeacherID: t.id, Field: FieldUnit, Old: t.profile.UnitID, New: unit.ID.String(),
		OldLabel: t.unitName, NewLabel: strings.TrimSpace(unit.Name), Reason: reason,
		ActorID: actor.UserID, ActorRole: actor.Role,
	})
	return nil
}

// Apply changes the state from one event; it never fails.
func (t *Teacher) Apply(e event.Event) {
	switch e := e.(type) {
	case *Erased:
		t.erased = true
	case *Registered:
		t.registered = true
		t.profile = e.Profile
		t.unitName = e.UnitName
		t.legacyCert = e.CertificateOverride != ""
	case *OrdinaryFieldEdited:
		t.set(e.Field, e.New)
	case *KeyFieldCorrected:
		t.set(e.Field, e.New)
		switch e.Field {
		case FieldUnit:
			t.unitName = e.NewLabel
		case FieldCertificateNumber:
			t.legacyCert = e.Override != ""
		}
	case *CorrectionRequested:
		t.corrections = append(t.corrections, &Correction{
			ID: e.CorrectionID, Field: e.Field, Current: e.Current, Proposed: e.Proposed,
			Reason: e.Reason, Evidence: slices.Clone(e.Evidence), Status: CorrectionStatusPending,
			RequestedBy: e.ActorID,
		})
	case *CorrectionApproved:
		if c := t.correction(e.CorrectionID); c != nil {
			c.Status, c.DecidedBy, c.Comment = CorrectionStatusApproved, e.ActorID, e.Comment
		}
	case *CorrectionRejected:
		if c := t.correction(e.CorrectionID); c != nil {
			c.Status, c.DecidedBy, c.Comment = CorrectionStatusRejected, e.ActorID, e.Reason
		}
	case *CorrectionWithdrawn:
		if c := t.correction(e.CorrectionID); c != nil {
			c.Status, c.DecidedBy = CorrectionStatusWithdrawn, e.ActorID
		}
	case *TransferStarted:
		t.transfers = append(t.transfers, &Transfer{
			ID: e.TransferID, FromCounty: e.FromCounty, FromUnitID: e.FromUnitID,
			ToCounty: e.ToCounty, ToUnitID: e.ToUnitID, ToUnitName: e.ToUnitName,
			Reason: e.Reason, Status: TransferStatusOpen, StartedBy: e.ActorID,
		})
	case *TransferAccepted:
		if tr := t.transfer(e.TransferID); tr != nil {
			tr.Status, tr.DecidedBy = TransferStatusAccepted, e.ActorID
			tr.ToUnitID, tr.ToUnitName = e.ToUnitID, e.ToUnitName
		}
		t.profile.City, t.profile.County, t.profile.UnitID = e.ToCity, e.ToCounty, e.ToUnitID
		t.unitName = e.ToUnitName
	case *TransferRejected:
		if tr := t.transfer(e.TransferID); tr != nil {
			tr.Status, tr.DecidedBy, tr.Comment = TransferStatusRejected, e.ActorID, e.Reason
		}
	case *TransferredOut:
		if tr := t.transfer(e.TransferID); tr != nil {
			tr.Status, tr.DecidedBy = TransferStatusTransferredOut, e.ActorID
		}
	case *TransferCancelled:
		if tr := t.transfer(e.TransferID); tr != nil {
			tr.Status, tr.DecidedBy, tr.Comment = TransferStatusCancelled, e.ActorID, e.Reason
		}
	}
}

func (t *Teacher) set(field, value string) {
	if s, ok := specByName[field]; ok {
		*s.ptr(&t.profile) = value
	}
}
