package credit

// Level is the administrative level of the body that organised the learning.
// The codes are the national training-category codes, so a project's
// category maps onto a level without a table. Stored in events: never change.
type Level string

const (
	LevelNational   Level = "10"
	LevelProvincial Level = "20"
	LevelCity       Level = "30"
	LevelCounty     Level = "40"
	LevelSchool     Level = "60"
	LevelOther      Level = "99"
)

// Valid reports whether l is a known level.
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

// CountyOrAbove reports whether l counts toward a "county level or above"
// minimum. Other (99) does not: nobody vouches for its level.
func (l Level) CountyOrAbove() bool {
	switch l {
	case LevelNational, LevelProvincial, LevelCity, LevelCounty:
		return true
	}
	return false
}

// Category is what kind of learning an entry records; registration policies
// treat them differently (caps on school-based hours, flat hours a year for
// degree study and class-teacher work). Stored in events: never change.
type Category string

const (
	CategoryTraining     Category = "training"
	CategorySchoolBased  Category = "school_based"
	CategoryDegreeStudy  Category = "degree_study"
	CategoryClassTeacher Category = "class_teacher"
	CategoryOther        Category = "other"
)

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	switch c {
	case CategoryTraining, CategorySchoolBased, CategoryDegreeStudy, CategoryClassTeacher, CategoryOther:
		return true
	}
	return false
}

// Label is the Chinese name shown to users.
func (c Category) Label() string {
	switch c {
	case CategoryTraining:
		return "培训"
	case CategorySchoolBased:
		return "校本研修"
	case CategoryDegreeStudy:
		return "学历提升"
	case CategoryClassTeacher:
		return "班主任工作"
	case CategoryOther:
		return "其他"
	}
	return string(c)
}

// SourceKind says where a grant came from. Stored in events: never change.
type SourceKind string

const (
	// SourceProject: a platform project enrollment that was passed.
	SourceProject SourceKind = "project"
	// SourceCreditBank: a credit bank request recognised by the county.
	SourceCreditBank SourceKind = "credit_bank"
	// SourceImport: loaded from an earlier system, named in Source.System.
	SourceImport SourceKind = "import"
)

// Label is the Chinese name shown to users.
func (k SourceKind) Label() string {
	switch k {
	case SourceProject:
		return "平台培训项目"
	case SourceCreditBank:
		return "学分银行认定"
	case SourceImport:
		return "历史数据导入"
	}
	return string(k)
}
