package web

import (
	"github.com/hbte/record/domain/region"
	"github.com/hbte/record/domain/teacher"
	"github.com/hbte/record/projections"
)

// ProfileRow is one line of a teacher's profile as the record pages show
// it.
type ProfileRow struct {
	Label, Value string
	Key          bool
}

// ProfileRows are the profile's lines with codes as labels (photos left
// out); p is masked or not as the caller decided.
func ProfileRows(p projections.TeacherProfile) []ProfileRow {
	var out []ProfileRow
	for _, field := range teacher.Fields() {
		v := p.Profile.Get(field)
		row := ProfileRow{Label: teacher.FieldLabel(field), Key: teacher.IsKeyField(field)}
		switch field {
		case teacher.FieldCertificatePhoto, teacher.FieldAvatar:
			continue
		case teacher.FieldUnit:
			row.Value = p.UnitName
		case teacher.FieldIDNumber, teacher.FieldMobile:
			row.Value = v
			if v == "" {
				row.Value = "（空）"
			}
		default:
			row.Value = teacher.ValueLabel(field, v)
		}
		out = append(out, row)
	}
	return out
}

// ReadOnlyReason says why a teacher's record takes no more changes: its
// personal data were erased (every personal field then reads
// teacher.ErasedValue), or the teacher was transferred out of the province.
// "" for a record that may change.
func ReadOnlyReason(p projections.TeacherProfile) string {
	switch {
	case p.Profile.Name == teacher.ErasedValue:
		return "个人信息已删除，档案只读"
	case p.TransferredOutTo != "":
		return teacher.TransferredOutLabel + "（调往" + region.Default().FullName(p.TransferredOutTo) + "），档案只读"
	}
	return ""
}
