package ident

import (
	"fmt"
	"strings"

	"github.com/hbte/record/domain"
)

// Entry is one code of a code table.
type Entry struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// Dict is an immutable code table: code -> Chinese label, in display order.
type Dict struct {
	name    string // Chinese name of the table, used in reasons
	source  string
	entries []Entry
	byCode  map[string]string
}

func newDict(name, source string, entries ...Entry) *Dict {
	d := &Dict{name: name, source: source, entries: entries, byCode: make(map[string]string, len(entries))}
	for _, e := range entries {
		if _, dup := d.byCode[e.Code]; dup {
			panic("ident: duplicate code " + e.Code + " in " + name)
		}
		d.byCode[e.Code] = e.Label
	}
	return d
}

// Name is the Chinese name of the table.
func (d *Dict) Name() string { return d.name }

// Source names the standard the codes come from ("local" when none fits).
func (d *Dict) Source() string { return d.source }

// Entries lists the codes in display order (a copy).
func (d *Dict) Entries() []Entry { return append([]Entry(nil), d.entries...) }

// Valid reports whether code is in the table.
func (d *Dict) Valid(code string) bool { _, ok := d.byCode[code]; return ok }

// Label returns the Chinese label, or the code itself when unknown so that
// history written under an older table still reads.
func (d *Dict) Label(code string) string {
	if l, ok := d.byCode[code]; ok {
		return l
	}
	return code
}

// Check returns the trimmed code when it is in the table, else a validation
// error on field naming the table.
func (d *Dict) Check(field, code string) (string, error) {
	c := strings.TrimSpace(code)
	if c == "" {
		return "", domain.Invalid(field, "请选择"+d.name)
	}
	if !d.Valid(c) {
		return "", domain.Invalid(field, fmt.Sprintf("“%s”不是有效的%s代码", c, d.name))
	}
	return c, nil
}

func e(code, label string) Entry { return Entry{Code: code, Label: label} }

// Gender, GB/T 2261.1-2003. The record uses 1 and 2 only (from the ID).
var Gender = newDict("性别", "GB/T 2261.1-2003",
	e("1", "男"), e("2", "女"))

// Ethnicity, GB 3304-1991 (all 56 groups, plus 97 and 98).
var Ethnicity = newDict("民族", "GB 3304-1991",
	e("01", "汉族"), e("02", "蒙古族"), e("03", "回族"), e("04", "藏族"), e("05", "维吾尔族"),
	e("06", "苗族"), e("07", "彝族"), e("08", "壮族"), e("09", "布依族"), e("10", "朝鲜族"),
	e("11", "满族"), e("12", "侗族"), e("13", "瑶族"), e("14", "白族"), e("15", "土家族"),
	e("16", "哈尼族"), e("17", "哈萨克族"), e("18", "傣族"), e("19", "黎族"), e("20", "傈僳族"),
	e("21", "佤族"), e("22", "畲族"), e("23", "高山族"), e("24", "拉祜族"), e("25", "水族"),
	e("26", "东乡族"), e("27", "纳西族"), e("28", "景颇族"), e("29", "柯尔克孜族"), e("30", "土族"),
	e("31", "达斡尔族"), e("32", "仫佬族"), e("33", "羌族"), e("34", "布朗族"), e("35", "撒拉族"),
	e("36", "毛南族"), e("37", "仡佬族"), e("38", "锡伯族"), e("39", "阿昌族"), e("40", "普米族"),
	e("41", "塔吉克族"), e("42", "怒族"), e("43", "乌孜别克族"), e("44", "俄罗斯族"), e("45", "鄂温克族"),
	e("46", "德昂族"), e("47", "保安族"), e("48", "裕固族"), e("49", "京族"), e("50", "塔塔尔族"),
	e("51", "独龙族"), e("52", "鄂伦春族"), e("53", "赫哲族"), e("54", "门巴族"), e("55", "珞巴族"),
	e("56", "基诺族"), e("97", "其他未识别民族"), e("98", "外国血统中国籍人士"))

// PoliticalStatus, GB/T 4762-1984, short labels.
var PoliticalStatus = newDict("政治面貌", "GB/T 4762-1984",
	e("01", "中共党员"), e("02", "中共预备党员"), e("03", "共青团员"), e("04", "民革党员"),
	e("05", "民盟盟员"), e("06", "民建会员"), e("07", "民进会员"), e("08", "农工党党员"),
	e("09", "致公党党员"), e("10", "九三学社社员"), e("11", "台盟盟员"), e("12", "无党派人士"),
	e("13", "群众"))

// MaritalStatus, GB/T 2261.2-2003.
var MaritalStatus = newDict("婚姻状况", "GB/T 2261.2-2003",
	e("10", "未婚"), e("20", "已婚"), e("21", "初婚"), e("22", "再婚"), e("23", "复婚"),
	e("30", "丧偶"), e("40", "离婚"), e("90", "未说明的婚姻状况"))

// Education level, GB/T 4658-2006: the group codes and the common
// graduation codes.
var Education = newDict("学历", "GB/T 4658-2006",
	e("10", "研究生教育"), e("11", "博士研究生毕业"), e("14", "硕士研究生毕业"), e("17", "研究生班毕业"),
	e("20", "大学本科教育"), e("21", "大学本科毕业"), e("22", "大学本科结业"), e("23", "大学本科肄业"),
	e("30", "专科教育"), e("31", "大学专科毕业"), e("32", "大学专科结业"), e("33", "大学专科肄业"),
	e("40", "中等职业教育"), e("41", "中等专科毕业"), e("44", "职业高中毕业"), e("47", "技工学校毕业"),
	e("60", "普通高级中学教育"), e("61", "普通高中毕业"),
	e("70", "初级中学教育"), e("71", "初中毕业"),
	e("80", "小学教育"), e("81", "小学毕业"),
	e("90", "其他"))

// EducationRank orders education codes (higher is more advanced) so the
// highest education can be checked against the initial one.
func EducationRank(code string) int {
	if len(code) != 2 || !Education.Valid(code) {
		return 0
	}
	// GB/T 4658 groups descend with the level: 1x doctorate/master ... 8x primary.
	if code == "90" {
		return 0
	}
	return 10 - int(code[0]-'0')
}

// Degree, GB/T 6864-2003 first-level codes; 0 (none) is a local addition.
var Degree = newDict("学位", "GB/T 6864-2003",
	e("2", "博士"), e("3", "硕士"), e("4", "学士"), e("0", "无学位"))

// CertificateType of the teacher certificate (教师资格条例), and the digit in
// position 10 of its number.
var CertificateType = newDict("教师资格证种类", "教师资格条例",
	e("1", "幼儿园教师资格"), e("2", "小学教师资格"), e("3", "初级中学教师资格"),
	e("4", "高级中学教师资格"), e("5", "中等职业学校教师资格"),
	e("6", "中等职业学校实习指导教师资格"), e("7", "高等学校教师资格"))

// IDType, identity-document types of JY/T 1001 (教育管理信息 教育管理基础代码).
var IDType = newDict("身份证件类型", "JY/T 1001",
	e("1", "居民身份证"), e("2", "军官证"), e("3", "士兵证"), e("4", "文职干部证"),
	e("5", "部队离退休证"), e("6", "香港特区护照/身份证明"), e("7", "澳门特区护照/身份证明"),
	e("8", "台湾居民来往大陆通行证"), e("9", "境外永久居住证"), e("A", "护照"),
	e("B", "户口簿"), e("Z", "其他"))

// IDTypeResident is the code of the 18-digit resident ID card.
const IDTypeResident = "1"

// TeachingStage, the main stage taught (local codes).
var TeachingStage = newDict("任教学段", "local",
	e("1", "幼儿园"), e("2", "小学"), e("3", "初中"), e("4", "高中"),
	e("5", "中等职业学校"), e("6", "特殊教育"))

// Subject, the main subject taught (local codes, after the national
// curriculum's subject names).
var Subject = newDict("任教学科", "local",
	e("01", "语文"), e("02", "数学"), e("03", "英语"), e("04", "物理"), e("05", "化学"),
	e("06", "生物"), e("07", "道德与法治（思想政治）"), e("08", "历史"), e("09", "地理"),
	e("10", "科学"), e("11", "音乐"), e("12", "美术"), e("13", "体育与健康"),
	e("14", "信息技术"), e("15", "通用技术"), e("16", "综合实践活动"), e("17", "心理健康教育"),
	e("18", "其他外语"), e("19", "学前教育"), e("20", "特殊教育"), e("21", "专业课（中职）"),
	e("99", "其他"))

// SchoolArea, where the school lies (学校所在区域), after the statistics
// bureau's urban-rural classification collapsed to three classes.
var SchoolArea = newDict("学校所在区域", "local",
	e("1", "城区"), e("2", "镇区"), e("3", "乡村"))

// SchoolCategory, from the MOE education-statistics school-type codes (a
// subset: the schools this platform serves).
var SchoolCategory = newDict("学校类别", "教育统计 学校（机构）类别",
	e("111", "幼儿园"), e("211", "小学"), e("218", "小学教学点"),
	e("311", "初级中学"), e("312", "九年一贯制学校"), e("341", "完全中学"),
	e("342", "高级中学"), e("345", "十二年一贯制学校"),
	e("361", "中等技术学校"), e("362", "中等师范学校"), e("364", "职业高中学校"),
	e("365", "技工学校"), e("512", "特殊教育学校"), e("999", "其他"))

// PostCategory, the post category of a public institution (事业单位岗位类别).
var PostCategory = newDict("岗位类别", "local",
	e("1", "专业技术岗位"), e("2", "管理岗位"), e("3", "工勤技能岗位"), e("9", "其他"))

// ProfessionalTitle, primary and secondary teachers' titles after the 2015
// reform.
var ProfessionalTitle = newDict("专业技术职务", "local",
	e("1", "正高级教师"), e("2", "高级教师"), e("3", "一级教师"), e("4", "二级教师"),
	e("5", "三级教师"), e("9", "未评聘"))

// BackboneLevel, the level of a backbone (骨干) teacher.
var BackboneLevel = newDict("骨干教师级别", "local",
	e("0", "否"), e("1", "国家级"), e("2", "省级"), e("3", "市级"), e("4", "县级"), e("5", "校级"))

// YesNo for the yes/no fields (是否在编, 特岗教师).
var YesNo = newDict("是否", "local", e("1", "是"), e("0", "否"))

// FundedNormal, the publicly-funded normal-student programme, if any.
var FundedNormal = newDict("公费师范生", "local",
	e("0", "否"), e("1", "国家公费师范生"), e("2", "河北省公费师范生"))

// First years of the programmes: national at six MOE normal universities
// from 2007, Hebei at Hebei Normal University from 2011, and the Hebei
// special-post (特岗) plan from 2009.
const (
	FundedNormalNationalFrom = 2007
	FundedNormalHebeiFrom    = 2011
	SpecialPostFrom          = 2009
)
