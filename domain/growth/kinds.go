package growth

// Level is the level of the body that conferred an honor or an award. The
// codes are those of the training categories (credit.Level), so reports can
// group both the same way; this package cannot import credit, which imports
// it for FileRef. Stored in events: never change.
type Level string

const (
	LevelNational   Level = "10"
	LevelProvincial Level = "20"
	LevelCity       Level = "30"
	LevelCounty     Level = "40"
	LevelSchool     Level = "60"
	LevelOther      Level = "99"
)

// Valid reports whether l is known.
func (l Level) Valid() bool {
	switch l {
	case LevelNational, LevelProvincial, LevelCity, LevelCounty, LevelSchool, LevelOther:
		return true
	}
	return false
}

// Label is the Chinese name shown to users.
func (l Level) Label() string {
	switch l {
	case LevelNational:
		return "国家级"
	case LevelProvincial:
		return "省级"
	case LevelCity:
		return "市级"
	case LevelCounty:
		return "县级"
	case LevelSchool:
		return "校级"
	case LevelOther:
		return "其他"
	}
	return string(l)
}

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
