package project

import "slices"

// Kind is the project's nature as the platform shows it. Values are stored in
// events: never rename.
type Kind string

const (
	KindNational   Kind = "national"   // 国培
	KindProvincial Kind = "provincial" // 省培
	KindCity       Kind = "city"       // 市培
	KindCounty     Kind = "county"     // 县培
	KindSchool     Kind = "school"     // 校本
	KindAllStaff   Kind = "all_staff"  // 全员培训
	KindCapability Kind = "capability" // 能力提升
)

// Kinds lists every kind in display order.
var Kinds = []Kind{KindNational, KindProvincial, KindCity, KindCounty, KindSchool, KindAllStaff, KindCapability}

// Label is the Chinese name.
func (k Kind) Label() string {
	switch k {
	case KindNational:
		return "国培"
	case KindProvincial:
		return "省培"
	case KindCity:
		return "市培"
	case KindCounty:
		return "县培"
	case KindSchool:
		return "校本"
	case KindAllStaff:
		return "全员培训"
	case KindCapability:
		return "能力提升"
	}
	return string(k)
}

func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Categories are the national training-category codes a kind may carry.
// The level-bound kinds have exactly one; all-staff and capability
// programmes are run at whatever level funds them, so they take any level
// code or 99.
func (k Kind) Categories() []Category {
	switch k {
	case KindNational:
		return []Category{CategoryNational}
	case KindProvincial:
		return []Category{CategoryProvincial}
	case KindCity:
		return []Category{CategoryCity}
	case KindCounty:
		return []Category{CategoryCounty}
	case KindSchool:
		return []Category{CategorySchool}
	case KindAllStaff, KindCapability:
		return []Category{CategoryNational, CategoryProvincial, CategoryCity, CategoryCounty, CategoryOther}
	}
	return nil
}

// Category is the national training-category code (培训类别).
type Category int

const (
	CategoryNational   Category = 10
	CategoryProvincial Category = 20
	CategoryCity       Category = 30
	CategoryCounty     Category = 40
	CategorySchool     Category = 60
	CategoryOther      Category = 99
)

func (c Category) Label() string {
	switch c {
	case CategoryNational:
		return "国家级"
	case CategoryProvincial:
		return "省级"
	case CategoryCity:
		return "市级"
	case CategoryCounty:
		return "县级"
	case CategorySchool:
		return "校级"
	case CategoryOther:
		return "其他"
	}
	return "未知"
}

func (c Category) Valid() bool { return c.Label() != "未知" }

// ownerLevels are the jurisdiction code lengths that may own a project of
// this category: national and provincial programmes are run by the province,
// a city programme by a city, county and school-based ones by a county (the
// county records school-based training for its schools).
func (c Category) ownerLevels() []int {
	switch c {
	case CategoryNational, CategoryProvincial:
		return []int{2}
	case CategoryCity:
		return []int{4}
	case CategoryCounty, CategorySchool:
		return []int{6}
	case CategoryOther:
		return []int{2, 4, 6}
	}
	return nil
}

// Mode is the national training-mode code (培训形式).
type Mode int

const (
	ModeFullTime    Mode = 1 // full-time, more than one month
	ModeShortOnSite Mode = 2
	ModeOnline      Mode = 3
	ModeBlended     Mode = 4
	ModeOther       Mode = 9
)

func (m Mode) Label() string {
	switch m {
	case ModeFullTime:
		return "脱产培训（一个月以上）"
	case ModeShortOnSite:
		return "短期集中培训"
	case ModeOnline:
		return "网络培训"
	case ModeBlended:
		return "混合式培训"
	case ModeOther:
		return "其他"
	}
	return "未知"
}

func (m Mode) Valid() bool { return m.Label() != "未知" }

// Status is the lifecycle state. Values are derived from events, not stored,
// but the strings are used in read models and JSON: keep them stable.
type Status string

const (
	StatusNone       Status = ""
	StatusDraft      Status = "draft"
	StatusNominating Status = "nominating"
	StatusInProgress Status = "in_progress"
	StatusFinished   Status = "finished"
	StatusCancelled  Status = "cancelled"
)

func (s Status) Label() string {
	switch s {
	case StatusDraft:
		return "草稿"
	case StatusNominating:
		return "遴选中"
	case StatusInProgress:
		return "培训中"
	case StatusFinished:
		return "已结束"
	case StatusCancelled:
		return "已取消"
	}
	return "不存在"
}
