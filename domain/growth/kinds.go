package growth

// Category is the kind of a teaching achievement. Stored in events: never
// change.
type Category string

const (
	CategoryPaper    Category = "paper"    // 论文
	CategoryBook     Category = "book"     // 著作、教材
	CategoryResearch Category = "research" // 课题
	CategoryLesson   Category = "lesson"   // 优质课、课例
	CategoryAward    Category = "award"    // 教学成果奖
	CategoryOther    Category = "other"
)

// Valid reports whether c is known.
func (c Category) Valid() bool {
	switch c {
	case CategoryPaper, CategoryBook, CategoryResearch, CategoryLesson, CategoryAward, CategoryOther:
		return true
	}
	return false
}

// Label is the Chinese name shown to users.
func (c Category) Label() string {
	switch c {
	case CategoryPaper:
		return "论文"
	case CategoryBook:
		return "著作"
	case CategoryResearch:
		return "课题"
	case CategoryLesson:
		return "优质课"
	case CategoryAward:
		return "教学成果奖"
	case CategoryOther:
		return "其他"
	}
	return string(c)
}
