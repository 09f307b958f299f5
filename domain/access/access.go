// Package access defines who may act: roles, the actor of a command and the
// jurisdiction (a GB/T 2260 region code) it acts under. It is pure.
package access

import (
	"errors"
	"strings"

	"github.com/google/uuid"
)

// Role is a user's role. The string values are stored in events: never rename.
type Role string

const (
	RoleTeacher       Role = "teacher"
	RoleCountyAdmin   Role = "county_admin"
	RoleCityAdmin     Role = "city_admin"
	RoleProvinceAdmin Role = "province_admin"
	RoleInstitution   Role = "institution"
	RoleAuditor       Role = "auditor"
	RoleRegistrar     Role = "registration_authority"
	RoleSystem        Role = "system" // CLI, imports and migrations
)

// Label is the Chinese name shown to users.
func (r Role) Label() string {
	switch r {
	case RoleTeacher:
		return "教师"
	case RoleCountyAdmin:
		return "区县管理员"
	case RoleCityAdmin:
		return "市级管理员"
	case RoleProvinceAdmin:
		return "省级项目管理员"
	case RoleInstitution:
		return "承培机构"
	case RoleAuditor:
		return "审计员"
	case RoleRegistrar:
		return "教师资格注册机构"
	case RoleSystem:
		return "系统"
	}
	return string(r)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleTeacher, RoleCountyAdmin, RoleCityAdmin, RoleProvinceAdmin,
		RoleInstitution, RoleAuditor, RoleRegistrar, RoleSystem:
		return true
	}
	return false
}

// IsAdmin reports whether r administers a region.
func (r Role) IsAdmin() bool {
	return r == RoleCountyAdmin || r == RoleCityAdmin || r == RoleProvinceAdmin
}

// Actor is the authenticated user behind a command or query.
type Actor struct {
	UserID uuid.UUID
	Role   Role
	Name   string
	// Jurisdiction is the region code the actor acts in: 2 digits for the
	// province, 4 for a city, 6 for a county. Empty for a teacher or an
	// institution, whose reach is their own record or their own classes.
	Jurisdiction string
	// TeacherID is set for teachers: the record they own.
	TeacherID uuid.UUID
	// InstitutionID is set for training institutions.
	InstitutionID uuid.UUID
}

// System is the actor of the CLI and of data loads.
func System(name string) Actor {
	return Actor{UserID: uuid.Nil, Role: RoleSystem, Name: name, Jurisdiction: ""}
}

// RecordedName is the actor's name as events record it: none for a
// teacher, whose name is personal data of their own record (sealed there
// and destroyed by an erasure); events name a teacher by account id and
// role, and readers show 教师本人 or the record's current name. Staff names
// are recorded as they are: who acted for an office is what an audit trail
// must keep.
func (a Actor) RecordedName() string {
	if a.Role == RoleTeacher {
		return ""
	}
	return a.Name
}

// Covers reports whether region (any level) lies inside the actor's
// jurisdiction. The system actor covers everything; a teacher or institution
// covers no region.
func (a Actor) Covers(region string) bool {
	if a.Role == RoleSystem {
		return true
	}
	if a.Jurisdiction == "" || region == "" {
		return false
	}
	return strings.HasPrefix(region, a.Jurisdiction)
}

// ErrForbidden is the root of every authorization refusal.
var ErrForbidden = errors.New("forbidden")

// ErrUnauthenticated means no valid session.
var ErrUnauthenticated = errors.New("unauthenticated")

// JurisdictionLevel returns "province", "city", "county" or "" for a code.
func JurisdictionLevel(code string) string {
	switch len(code) {
	case 2:
		return "province"
	case 4:
		return "city"
	case 6:
		return "county"
	}
	return ""
}
