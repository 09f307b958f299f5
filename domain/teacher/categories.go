package teacher

// CategoryFields are the profile fields a registration policy's exemptions
// may name, in the order Categories lists them.
var CategoryFields = []string{FieldPostCategory, "professional_title", "on_staff", FieldSpecialPost,
	FieldFundedNormal, "main_stage", "certificate_type"}

// Categories are the categories a policy exemption is matched against:
// "field:code" for each of CategoryFields that is filled, e.g.
// "post_category:3" (工勤技能岗位) or "special_post:1" (特岗教师).
func Categories(p Profile) []string {
	var out []string
	for _, f := range CategoryFields {
		if v := p.Get(f); v != "" {
			out = append(out, f+":"+v)
		}
	}
	return out
}
