package demo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"ting/internal/results"
	"ting/internal/store"
)

// The CP-TING Phase II results framework and what the project offices recorded against it.
//
// The figures are records, not totals: every value below is what a project office entered for
// one unit and one period, and the seed's section 4 table ("targets at the start of project /
// progress at the evaluation") is what results.Service.Progress computes from them for the
// national unit over the life of the project. The spread over provinces, units and periods is
// demonstration data shaped by what seed 001 says of each province; the national sums are the
// seed's, as they stood at the review's cut-off, 30 June 2012 (AsOf):
//
//	decision makers            350 → 1,774 (180 of them the six PSCs' sitting members)
//	trainers, volunteers …     100 → 2,194 teachers, 1,086 community-service managers,
//	                                  142 employers, 817 volunteers
//	national research orgs.      2 → 2 (190 researchers from 2 national and 8 provincial institutions)
//	CSOs                         2 → 5
//	major media outlets         20 → 224 reporters and journalists
//	people reached by campaigns 1,000,000 → 1,135,000, and 1,100,000 by the Anhui curricula
//
// Two of those lines set a target in one unit and report progress in another: 20 media outlets
// against 224 journalists, and 100 "trainers/volunteers/back stoppers/implementing agencies" (a
// mix of people and organisations; §3.2 counts 310 trainers) against 4,239 people trained. A
// target is in its indicator's unit, so each of those targets sits on an indicator counting what
// it counts (CP2-MEDIA, CP2-TVBA), which has no value on record because the seeds give none, and
// the progress the evaluation reports sits on the indicators counting people (CP2-JOURN, CP2-CAP),
// which have no target: the table shows both lines and computes no percentage of outlets from
// journalists (1,120%) or of trainers from trainees (4,239%).
//
// Every value is reported at a province or below, never at the national unit itself, so that a
// drill-down from the national table over the provinces adds up to the national figure.
//
// Where the values come from. The framework names the Action Programmes' progress reports as its
// data source, but the demonstration holds only the interventions of plans.go, and their reports
// carry no figures of this framework. So no value here cites a report: each is stored as what it
// is, an entry (results' source "entry") by the office of the pilot province its unit lies in,
// or by the national office for units outside the pilots, its source reference naming the
// office's monitoring records or, for steering committee members, the committee records. A
// value cites a report ("report", "AP-JS-05/R2") only when an approved report carries it, which
// plans.Service writes itself (the provincial frameworks' values).
//
// When. Every value is for a period that ends by AsOf: 4-monthly periods up to January-April
// 2012, then May and June 2012 month by month (toReview), committee members in the month they
// took their seat. So the biannual report for January-June 2012 shows, to date, the table's figures.
//
// The people receiving services (75,000 → 95,000: about 60,000 life-skills students and 35,000
// Women's Home users) are not values: CP2-SERV counts the distinct people served from the
// beneficiary cards' services (people.go, LoadPeople).

// frameworkCode is the national logical framework of Phase II.
const frameworkCode = "CPTING2"

var categorySets = []results.CategorySet{
	{Code: "sex", NameZH: "性别", NameEN: "Sex", Categories: []results.Category{
		{Code: "female", NameZH: "女", NameEN: "Female"},
		{Code: "male", NameZH: "男", NameEN: "Male"},
	}},
	// The project's target ages (seed 001 §1.3: 12 to 24) in the bands its reports use.
	{Code: "age", NameZH: "年龄段", NameEN: "Age band", Categories: []results.Category{
		{Code: "12-15", NameZH: "12-15岁", NameEN: "12-15 years"},
		{Code: "16-18", NameZH: "16-18岁", NameEN: "16-18 years"},
		{Code: "19-24", NameZH: "19-24岁", NameEN: "19-24 years"},
		{Code: "25+", NameZH: "25岁及以上", NameEN: "25 years and over"},
	}},
	// A person is counted under one group only (a left-behind Dai pupil counts as ethnic-minority
	// child where the report says so), so that the groups add up to the total.
	{Code: "target_group", NameZH: "目标群体", NameEN: "Target group", Categories: []results.Category{
		{Code: "left_behind", NameZH: "留守儿童", NameEN: "Left-behind child"},
		{Code: "migrant_child", NameZH: "流动儿童", NameEN: "Migrant child"},
		{Code: "ethnic_minority_child", NameZH: "少数民族儿童", NameEN: "Ethnic-minority child"},
		{Code: "young_woman_worker", NameZH: "青年女工", NameEN: "Young woman worker"},
		{Code: "vocational_student", NameZH: "职业学校学生/实习生", NameEN: "Vocational student or intern"},
		{Code: "dropout", NameZH: "辍学青少年", NameEN: "School dropout"},
		{Code: "parent", NameZH: "家长", NameEN: "Parent"},
		{Code: "other", NameZH: "其他", NameEN: "Other"},
	}},
	{Code: "ethnicity", NameZH: "民族", NameEN: "Ethnicity", Categories: []results.Category{
		{Code: "han", NameZH: "汉族", NameEN: "Han"},
		{Code: "yi", NameZH: "彝族", NameEN: "Yi"},
		{Code: "miao", NameZH: "苗族", NameEN: "Miao"},
		{Code: "dai", NameZH: "傣族", NameEN: "Dai"},
		{Code: "bai", NameZH: "白族", NameEN: "Bai"},
		{Code: "hani", NameZH: "哈尼族", NameEN: "Hani"},
		{Code: "buyi", NameZH: "布依族", NameEN: "Buyi"},
		{Code: "yao", NameZH: "瑶族", NameEN: "Yao"},
		{Code: "other", NameZH: "其他民族", NameEN: "Other"},
	}},
	// The kinds of people the evaluation reports under "trainers/volunteers/back-stoppers/
	// implementing agencies" (seed 001 §4).
	{Code: "role", NameZH: "角色", NameEN: "Role", Categories: []results.Category{
		{Code: "teacher", NameZH: "教师", NameEN: "Teacher"},
		{Code: "community_service_manager", NameZH: "社区服务管理人员", NameEN: "Community-service manager"},
		{Code: "employer", NameZH: "雇主", NameEN: "Employer"},
		{Code: "volunteer", NameZH: "志愿者", NameEN: "Volunteer"},
	}},
	{Code: "institution", NameZH: "研究机构级别", NameEN: "Research institution", Categories: []results.Category{
		{Code: "national", NameZH: "国家级研究机构", NameEN: "National institution"},
		{Code: "provincial", NameZH: "省级研究机构", NameEN: "Provincial institution"},
	}},
	// The services' own types, so that the reach indicator is disaggregated by what people
	// received (results/reach.go maps the set onto them).
	{Code: "service_type", NameZH: "服务类型", NameEN: "Service type", Categories: []results.Category{
		{Code: "life_skills", NameZH: "生活技能", NameEN: "Life skills"},
		{Code: "legal_aid", NameZH: "法律援助", NameEN: "Legal aid"},
		{Code: "health", NameZH: "健康服务", NameEN: "Health"},
		{Code: "employment", NameZH: "就业服务", NameEN: "Employment services"},
		{Code: "skills_training", NameZH: "职业技能培训", NameEN: "Skills training"},
		{Code: "recreation", NameZH: "文体活动", NameEN: "Recreation"},
		{Code: "counselling", NameZH: "心理辅导", NameEN: "Counselling"},
		{Code: "peer_support", NameZH: "同伴支持", NameEN: "Peer support"},
	}},
}

// elements: seed 001 §1.3 (objectives), §3.1 (the six themes of objective 1), §3.2 and §3.3
// (the outputs of objectives 2 and 3), with a few of the activities the sections describe.
var elements = []results.ElementInput{
	{Kind: "development_objective", Code: "DO", NameZH: "通过预防以劳动剥削为目的的拐卖，为消除对儿童和青年妇女的劳动剥削作出贡献，使中国妇女儿童劳动权益保护符合国际劳工标准",
		NameEN: "Contribute to the elimination of labour exploitation of children and young women by preventing trafficking for labour exploitation, protecting women's and children's labour rights in China consistently with international labour standards"},

	{Kind: "immediate_objective", Code: "IO1", ParentCode: "DO", Position: 1, NameZH: "完善预防以劳动剥削为目的的拐卖的国家政策框架",
		NameEN: "Improved national policy framework to prevent trafficking for labour exploitation"},
	{Kind: "output", Code: "O1.1", ParentCode: "IO1", Position: 1, NameZH: "多部门协调", NameEN: "Multi-sectoral coordination"},
	{Kind: "activity", Code: "A1.1.1", ParentCode: "O1.1", Position: 1, NameZH: "为省项目指导委员会成员和主要执行机构举办入门培训",
		NameEN: "Introductory training workshops for PSC members and key implementing agencies"},
	{Kind: "output", Code: "O1.2", ParentCode: "IO1", Position: 2, NameZH: "政策倡导", NameEN: "Policy advocacy"},
	{Kind: "activity", Code: "A1.2.1", ParentCode: "O1.2", Position: 1, NameZH: "为安徽省中小学安全教育教材提供技术支持",
		NameEN: "Technical assistance to the Anhui safety textbooks for primary and middle schools"},
	{Kind: "output", Code: "O1.3", ParentCode: "IO1", Position: 3, NameZH: "知识库", NameEN: "Knowledge base"},
	{Kind: "activity", Code: "A1.3.1", ParentCode: "O1.3", Position: 1, NameZH: "2010年六个试点省基线调查", NameEN: "2010 baseline survey in the six pilot provinces"},
	{Kind: "activity", Code: "A1.3.2", ParentCode: "O1.3", Position: 2, NameZH: "江苏学生工调研", NameEN: "Jiangsu student worker research"},
	{Kind: "output", Code: "O1.4", ParentCode: "IO1", Position: 4, NameZH: "媒体报道", NameEN: "Media coverage"},
	{Kind: "output", Code: "O1.5", ParentCode: "IO1", Position: 5, NameZH: "基于权利的活动", NameEN: "Rights-based events"},
	{Kind: "activity", Code: "A1.5.1", ParentCode: "O1.5", Position: 1, NameZH: "省级和全国儿童与青年论坛", NameEN: "Provincial and national Children and Youth Forums"},
	{Kind: "output", Code: "O1.6", ParentCode: "IO1", Position: 6, NameZH: "公民社会参与", NameEN: "Civil society engagement"},

	{Kind: "immediate_objective", Code: "IO2", ParentCode: "DO", Position: 2, NameZH: "改进试点省份预防拐卖措施的实施",
		NameEN: "Improved implementation of trafficking prevention measures in pilot provinces"},
	{Kind: "output", Code: "O2.1", ParentCode: "IO2", Position: 1, NameZH: "合作伙伴能力提升：教师接受生活技能教育培训",
		NameEN: "Improved capacity of partners: teachers trained in life skills education"},
	{Kind: "activity", Code: "A2.1.1", ParentCode: "O2.1", Position: 1, NameZH: "生活技能教育师资的逐级培训（培训者培训）",
		NameEN: "Cascade training of life skills trainers and teachers (TOT)"},
	{Kind: "output", Code: "O2.2", ParentCode: "IO2", Position: 2, NameZH: "合作伙伴能力提升：妇女之家运营", NameEN: "Improved capacity of partners: Women's Home operations"},
	{Kind: "output", Code: "O2.3", ParentCode: "IO2", Position: 3, NameZH: "宣传活动的组织能力提升", NameEN: "Organisation of awareness-raising campaigns improved"},
	{Kind: "output", Code: "O2.4", ParentCode: "IO2", Position: 4, NameZH: "省际安全流动合作机制", NameEN: "Inter-provincial arrangements for safe migration"},

	{Kind: "immediate_objective", Code: "IO3", ParentCode: "DO", Position: 3, NameZH: "提高妇女儿童维护自身权益和安全流动的能力",
		NameEN: "Increased ability of women and children to protect their rights and migrate safely"},
	{Kind: "output", Code: "O3.1", ParentCode: "IO3", Position: 1, NameZH: "通过宣传活动提高意识", NameEN: "Awareness enhanced through publicity campaigns"},
	{Kind: "activity", Code: "A3.1.1", ParentCode: "O3.1", Position: 1, NameZH: "春运和暑期在火车站、汽车站开展宣传活动",
		NameEN: "Spring Festival and summer campaigns at railway and bus stations"},
	{Kind: "output", Code: "O3.2", ParentCode: "IO3", Position: 2, NameZH: "学校生活技能培训", NameEN: "Life skills training in schools"},
	{Kind: "output", Code: "O3.3", ParentCode: "IO3", Position: 3, NameZH: "妇女之家和社区服务", NameEN: "Women's Homes and community services"},
	{Kind: "output", Code: "O3.4", ParentCode: "IO3", Position: 4, NameZH: "雇主合作预防拐卖", NameEN: "Employer cooperation on trafficking prevention"},
	{Kind: "activity", Code: "A3.4.1", ParentCode: "O3.4", Position: 1, NameZH: "在无锡、常州为雇主开展《与青年共事》培训",
		NameEN: "Working with Youth training for employers in Wuxi and Changzhou"},
	{Kind: "output", Code: "O3.5", ParentCode: "IO3", Position: 5, NameZH: "同伴互助网络", NameEN: "Peer-to-peer support networks"},
}

// Indicator codes.
const (
	indDM    = "CP2-DM"
	indCAP   = "CP2-CAP"
	indTCH   = "CP2-TCH"
	indCSM   = "CP2-CSM"
	indEMP   = "CP2-EMP"
	indVOL   = "CP2-VOL"
	indRORG  = "CP2-RORG"
	indRPROV = "CP2-RPROV"
	indRES   = "CP2-RES"
	indCSO   = "CP2-CSO"
	indJOURN = "CP2-JOURN"
	indMEDIA = "CP2-MEDIA"
	indTVBA  = "CP2-TVBA"
	indCAMP  = "CP2-CAMP"
	indCURR  = "CP2-CURR"
	indSERV  = "CP2-SERV"
)

// teacherFigures is the seeds' disagreement with themselves, carried where the figures are used.
const teacherFigures = "Seed 001 disagrees with itself on teachers: §3.2 says \"At present, close to 2,100 teachers and 310 trainers have been trained\"; " +
	"the §4 table reports 2,194 teachers. The values follow the §4 table; the seeds do not reconcile the two."

const apReports = "Action Programme progress reports (every four months)"

// apReportsZH is apReports in Chinese.
const apReportsZH = "行动计划进度报告（每四个月）"

// teacherFiguresZH is teacherFigures in Chinese.
const teacherFiguresZH = "种子文件001关于教师的数字前后不一：§3.2称“目前已培训近2,100名教师和310名培训者”；§4表格报告2,194名教师。数值采用§4表格；种子文件未作调和。"

// The evaluation reports the people trained by kind of person. Each kind is its own count
// indicator, on the output it belongs to, so that the table shows 2,194 teachers, 1,086
// community-service managers, 142 employers and 817 volunteers as rows, and CP2-CAP is the
// formula over the four (4,239 people). The trainers/volunteers/back-stoppers/implementing-
// agencies target (100) is not a count of those people: it sits on CP2-TVBA (see above).
var indicators = []results.IndicatorInput{
	{Code: indDM, ElementCode: "O1.1", Position: 1, NameZH: "了解以劳动剥削为目的的拐卖问题的决策者", NameEN: "Decision makers made aware of trafficking for labour exploitation",
		Type: "count", UnitLabelZH: "人", UnitLabelEN: "persons", Aggregation: "sum", CategorySets: []string{"sex"}, DataSourceZH: apReportsZH + "；领导小组记录", DataSourceEN: apReports + "; steering committee records", Frequency: "tertile",
		DefinitionZH: "担任决策职务的人员（领导小组成员、相关职能部门官员、妇联领导），经项目培训或领导小组工作了解该问题，每人只计一次，计入首次覆盖的期间。",
		DefinitionEN: "People in decision-making posts (steering committee members, officials of line agencies, Women's Federation leaders) reached by CP-TING training or committee work, counted once, in the period they were first reached."},
	{Code: indCURR, ElementCode: "O1.2", Position: 1, NameZH: "安徽安全教育课程覆盖的学生", NameEN: "Students reached by the Anhui safety education curricula",
		Type: "count", UnitLabelZH: "人", UnitLabelEN: "persons", Aggregation: "sum", CategorySets: []string{"sex"}, DataSourceZH: "安徽省教育厅", DataSourceEN: "Anhui Provincial Education Department", Frequency: "tertile",
		DefinitionZH: "在安徽省教育厅安全教育教材中学习拐卖与安全流动单元的学生，按学期计（种子文件001 §3.1）。",
		DefinitionEN: "Students taught the trafficking and safe-migration units of the Anhui Education Department's safety textbooks, per school term (seed 001 §3.1)."},
	{Code: indRORG, ElementCode: "O1.3", Position: 1, NameZH: "参与项目的国家级研究机构（累计）", NameEN: "National research organisations engaged (cumulative)",
		Type: "count", UnitLabelZH: "个机构", UnitLabelEN: "organisations", Aggregation: "latest", DataSourceZH: apReportsZH, DataSourceEN: apReports, Frequency: "tertile",
		DefinitionZH: "迄今与项目合作的国家级研究机构；各报告单位报告累计数，以最新一次为准。",
		DefinitionEN: "National research institutions working with CP-TING to date; each reporting unit reports its running count, the latest of which counts."},
	{Code: indRPROV, ElementCode: "O1.3", Position: 2, NameZH: "参与项目的省级研究机构（累计）", NameEN: "Provincial research institutions engaged (cumulative)",
		Type: "count", UnitLabelZH: "个机构", UnitLabelEN: "organisations", Aggregation: "latest", DataSourceZH: apReportsZH, DataSourceEN: apReports, Frequency: "tertile",
		DefinitionZH: "迄今与项目合作的省级研究机构（各省累计数）。",
		DefinitionEN: "Provincial research institutions working with CP-TING to date (running count per province)."},
	{Code: indRES, ElementCode: "O1.3", Position: 3, NameZH: "接受培训的研究人员", NameEN: "Researchers trained",
		Type: "count", UnitLabelZH: "人", UnitLabelEN: "persons", Aggregation: "sum", CategorySets: []string{"institution", "sex"}, DataSourceZH: apReportsZH, DataSourceEN: apReports, Frequency: "tertile",
		DefinitionZH: "经项目培训的研究人员（基线调查组、学生工研究及后续研究），按所在机构级别分列。",
		DefinitionEN: "Researchers trained by CP-TING (baseline survey teams, student worker research, later studies), by the level of their institution."},
	{Code: indJOURN, ElementCode: "O1.4", Position: 1, NameZH: "参与项目的主要媒体记者和新闻工作者", NameEN: "Reporters and journalists of major media outlets engaged",
		Type: "count", UnitLabelZH: "人", UnitLabelEN: "persons", Aggregation: "sum", CategorySets: []string{"sex"}, DataSourceZH: apReportsZH, DataSourceEN: apReports, Frequency: "tertile",
		DefinitionZH: "参加媒体研讨会或在宣传活动中听取情况介绍的记者和新闻工作者。种子文件以媒体机构数（20）设定目标，却以记者人数（224）报告进展，未给出媒体机构数。",
		DefinitionEN: "Reporters and journalists trained in media seminars or briefed at campaign events. The seeds set the target in media outlets (20) but report progress in journalists (224) and give no count of outlets."},
	{Code: indMEDIA, ElementCode: "O1.4", Position: 2, NameZH: "参与项目的主要媒体机构（累计）", NameEN: "Major media outlets engaged (cumulative)",
		Type: "count", UnitLabelZH: "家媒体机构", UnitLabelEN: "media outlets", Aggregation: "latest", DataSourceZH: apReportsZH, DataSourceEN: apReports, Frequency: "tertile",
		DefinitionZH: "迄今与项目合作的主要媒体机构（报纸、电视台、电台、新闻网站），各报告单位报告累计数，以最新一次为准。种子文件以此设定目标（20家），但只报告了记者人数（224人，见CP2-JOURN），未给出媒体机构数，因此没有记录数值。",
		DefinitionEN: "Major media outlets (newspapers, television and radio stations, news websites) working with CP-TING to date; each reporting unit reports its running count, the latest of which counts. The seeds set the target in outlets (20) but report progress only in reporters and journalists (224, CP2-JOURN) and give no count of outlets, so no value is on record."},
	{Code: indCSO, ElementCode: "O1.6", Position: 1, NameZH: "合作的民间组织（累计）", NameEN: "Civil society organisations engaged (cumulative)",
		Type: "count", UnitLabelZH: "个机构", UnitLabelEN: "organisations", Aggregation: "latest", DataSourceZH: apReportsZH, DataSourceEN: apReports, Frequency: "tertile",
		DefinitionZH: "迄今与项目合作的民间组织（各省累计数，以最新一次为准）。",
		DefinitionEN: "CSOs cooperating with CP-TING to date (running count per province, the latest counts)."},
	{Code: indCAP, ElementCode: "IO2", Position: 1, NameZH: "接受培训的人员：教师、社区服务管理人员、雇主和志愿者", NameEN: "People trained: teachers, community-service managers, employers and volunteers",
		Type: "count", UnitLabelZH: "人", UnitLabelEN: "persons", Aggregation: "formula", Formula: "sum(#{" + indTCH + "}, #{" + indCSM + "}, #{" + indEMP + "}, #{" + indVOL + "})", DataSourceZH: apReportsZH, DataSourceEN: apReports, Frequency: "tertile",
		DefinitionZH: "接受培训的教师、社区服务管理人员、雇主和志愿者：由下列四项指标相加计算，从不录入。评估报告（§4）以此报告“100名培训者/志愿者/技术支持人员/执行机构”目标的进展，但二者所计不同，目标见CP2-TVBA。" + teacherFiguresZH + "",
		DefinitionEN: "Teachers, community-service managers, employers and volunteers trained: computed as the sum of the four indicators below, never entered. The evaluation (§4) reports it as progress against the target of 100 trainers/volunteers/back stoppers/implementing agencies, which counts something else: that target is on CP2-TVBA. " + teacherFigures},
	{Code: indTVBA, ElementCode: "IO2", Position: 2, NameZH: "参与项目的培训者、志愿者、技术支持人员和执行机构", NameEN: "Trainers, volunteers, back-stoppers and implementing agencies engaged",
		Type: "count", UnitLabelZH: "名培训者、志愿者、技术支持人员或个执行机构", UnitLabelEN: "trainers, volunteers, back-stoppers or implementing agencies", Aggregation: "sum", DataSourceZH: apReportsZH, DataSourceEN: apReports, Frequency: "tertile",
		DefinitionZH: "项目直接受益者中负责能力建设的一方：培训者、志愿者、技术支持人员（人）和执行机构（机构），每个只计一次，计入首次参与的期间。种子文件以此设定目标（100），但未报告这一口径的进展：§4列出接受培训的人员（见CP2-CAP），§3.2列出310名培训者。因此没有记录数值。",
		DefinitionEN: "The capacity-building side of the project's direct recipients: trainers, volunteers and back-stoppers (people) and implementing agencies (organisations), each counted once, in the period first engaged. The seeds set the target in these (100) but report no progress in them: §4 lists the people trained (CP2-CAP), §3.2 counts 310 trainers. So no value is on record."},
	{Code: indTCH, ElementCode: "O2.1", Position: 1, NameZH: "接受生活技能教育培训的教师", NameEN: "Teachers trained in life skills education",
		Type: "count", UnitLabelZH: "人", UnitLabelEN: "persons", Aggregation: "sum", CategorySets: []string{"sex"}, DataSourceZH: apReportsZH, DataSourceEN: apReports, Frequency: "tertile",
		DefinitionZH: "试点学校通过层级培训模式接受生活技能与参与式教育培训的教师，计入其受训期间。" + teacherFiguresZH + "",
		DefinitionEN: "Teachers of pilot schools trained in life skills and participatory education through the cascade model, counted in the period of their training. " + teacherFigures},
	{Code: indCSM, ElementCode: "O2.2", Position: 1, NameZH: "接受培训的社区服务管理人员", NameEN: "Community-service managers trained",
		Type: "count", UnitLabelZH: "人", UnitLabelEN: "persons", Aggregation: "sum", CategorySets: []string{"sex"}, DataSourceZH: apReportsZH, DataSourceEN: apReports, Frequency: "tertile",
		DefinitionZH: "接受运营培训（劳动合同、管理、社会性别主流化、参与式评估）的妇女之家和社区服务中心管理人员及工作人员。",
		DefinitionEN: "Managers and staff of Women's Homes and community service centres trained in their operation (labour contracts, management, gender mainstreaming, participatory evaluation)."},
	{Code: indVOL, ElementCode: "O2.3", Position: 1, NameZH: "接受培训的志愿者", NameEN: "Volunteers trained",
		Type: "count", UnitLabelZH: "人", UnitLabelEN: "persons", Aggregation: "sum", CategorySets: []string{"age", "sex"}, DataSourceZH: apReportsZH, DataSourceEN: apReports, Frequency: "tertile",
		DefinitionZH: "为宣传活动和妇女之家接受培训的志愿者（大学生、铁路和妇联工作人员、流动青年）。",
		DefinitionEN: "Volunteers (university students, railway and Women's Federation staff, migrant youths) trained for campaigns and Women's Homes."},
	{Code: indSERV, ElementCode: "IO3", Position: 1, NameZH: "接受项目服务的人数", NameEN: "People receiving project services",
		Type: "count", UnitLabelZH: "人", UnitLabelEN: "persons", Aggregation: "reach", CategorySets: []string{"age", "ethnicity", "service_type", "sex", "target_group"}, DataSourceZH: "受益人卡片及其服务记录", DataSourceEN: "Beneficiary cards and their services", Frequency: "tertile",
		DefinitionZH: "试点学校接受生活技能教育的学生，以及使用妇女之家和社区中心的流动人口：持有受益人卡片、在该期间于本单位辖区内接受过任何服务的不同人数，无论接受服务多少次，每人只计一次。由服务记录计算，从不录入；年龄为期间结束当年所达年龄。",
		DefinitionEN: "Students in life skills education in pilot schools and migrants using Women's Homes and community centres: the distinct people with a beneficiary card who received any service in the unit's area in the period, each counted once however often they were served. Counted from the services, never entered; ages are those reached in the year the period ends."},
	{Code: indCAMP, ElementCode: "O3.1", Position: 1, NameZH: "宣传活动覆盖人数", NameEN: "People reached by awareness-raising campaigns",
		Type: "count", UnitLabelZH: "人", UnitLabelEN: "persons", Aggregation: "sum", CategorySets: []string{"sex"}, DataSourceZH: apReportsZH, DataSourceEN: apReports, Frequency: "tertile",
		DefinitionZH: "春节和暑期出行期间在宣传点（火车站、汽车站、广场）覆盖的人数，按每次活动分发的材料和反馈问卷估算。",
		DefinitionEN: "People reached at campaign sites (railway and bus stations, squares) during Spring Festival and summer travel, estimated per campaign from materials distributed and feedback questionnaires."},
	{Code: indEMP, ElementCode: "O3.4", Position: 1, NameZH: "接受培训的雇主", NameEN: "Employers trained",
		Type: "count", UnitLabelZH: "人", UnitLabelEN: "persons", Aggregation: "sum", CategorySets: []string{"sex"}, DataSourceZH: apReportsZH, DataSourceEN: apReports, Frequency: "tertile",
		DefinitionZH: "由劳动监察员和工会培训的合作企业雇主和管理人员（“与青年共事”培训包）。",
		DefinitionEN: "Employers and managers of partner enterprises trained by labour inspectors and trade unions (Working with Youth package)."},
}

type target struct {
	ind, unit string
	value     float64
	note      string
}

// Provincial targets are the Action Programmes' (demonstration figures); they are not forced to
// add up to the national ones, whose difference the table shows.
const apTarget = "Action Programme target (demonstration)"

var targets = []target{
	{indDM, "CN", 350, "Seed 001 §1.3: 350 decision makers by project end."},
	{indTVBA, "CN", 100, "Seed 001 §1.3: 100 trainers/volunteers/back stoppers/implementing agencies. The evaluation reports progress against it in people trained, by kind (§4): 2,194 teachers, 1,086 community services managers, 142 employers, 817 volunteers (CP2-CAP), which is not what this target counts; so no actual stands against it. " + teacherFigures},
	{indRORG, "CN", 2, "Seed 001 §1.3: 2 national research organizations; §4: 190 researchers from 2 national and 8 provincial research institutions."},
	{indCSO, "CN", 2, "Seed 001 §1.3: 2 Civil Society Organizations (CSO)."},
	{indMEDIA, "CN", 20, "Seed 001 §1.3: 20 major media outlets. §4 reports progress as 224 reporters and journalists (CP2-JOURN), people, not outlets, and gives no count of outlets; so no actual stands against it."},
	{indCAMP, "CN", 1000000, "Seed 001 §1.3: 1 million awareness raised by campaigns."},
	{indSERV, "CN", 75000, "Seed 001 §1.3: 75,000 receive project services."},

	{indDM, "AH", 60, apTarget}, {indDM, "YN", 60, apTarget}, {indDM, "GZ", 50, apTarget},
	{indDM, "HN", 60, apTarget}, {indDM, "JS", 60, apTarget}, {indDM, "FJ", 50, apTarget},
	{indTVBA, "AH", 15, apTarget}, {indTVBA, "YN", 15, apTarget}, {indTVBA, "GZ", 15, apTarget},
	{indTVBA, "HN", 15, apTarget}, {indTVBA, "JS", 20, apTarget}, {indTVBA, "FJ", 15, apTarget},
	{indCSO, "AH", 1, apTarget}, {indCSO, "YN", 1, apTarget},
	// Guizhou's campaigns fall short (seed 001 §4.1: the one exception among the provinces'
	// beneficiary targets, put down to the short running time there).
	{indCAMP, "AH", 200000, apTarget}, {indCAMP, "YN", 180000, apTarget}, {indCAMP, "GZ", 160000, apTarget},
	{indCAMP, "HN", 180000, apTarget}, {indCAMP, "JS", 160000, apTarget}, {indCAMP, "FJ", 140000, apTarget},
	{indSERV, "AH", 14000, apTarget}, {indSERV, "YN", 12000, apTarget}, {indSERV, "GZ", 10000, apTarget},
	{indSERV, "HN", 14000, apTarget}, {indSERV, "JS", 13000, apTarget}, {indSERV, "FJ", 10000, apTarget},
}

// split is a disaggregation of a reported figure: the category set, its categories and their
// relative weights.
type split struct {
	set  string
	cats []string
	w    []int
}

func sex(female, male int) split {
	return split{"sex", []string{"female", "male"}, []int{female, male}}
}

func age(a12, a16, a19, a25 int) split {
	return split{"age", []string{"12-15", "16-18", "19-24", "25+"}, []int{a12, a16, a19, a25}}
}

func only(set, cat string) split { return split{set, []string{cat}, []int{1}} }

// rec is what one unit reported for one indicator: total people spread over the periods in
// which it reported (later periods weigh more, as the interventions grew), or, for running
// counts, vals given period by period.
type rec struct {
	unit    string
	total   int
	periods []string
	vals    []int
	note    string
	dis     []split
	drift   bool // people.go: a home whose target group moved away by mid-term
}

// The 4-monthly reporting periods of the Action Programmes. 2012T2 (May to August 2012) runs
// past the review's cut-off (AsOf): no value is booked in it (people.go's services cut it at AsOf).
const (
	t101, t102, t103 = "2010T1", "2010T2", "2010T3"
	t111, t112, t113 = "2011T1", "2011T2", "2011T3"
	t121, t122       = "2012T1", "2012T2"
)

// toReview stands in a record's periods for what a unit counted from the start of 2012T2 to the
// review's cut-off: May and June 2012. The review's figures run to 30 June 2012, in the middle of
// 2012T2, whose reports were not due until September; a value for 2012T2 would end after AsOf,
// so the biannual report for January-June 2012 would not show what the evaluation's table shows.
// Booking the stretch back into 2012T1 (January-April) would date people to months before they
// were reached, against the indicators' "counted in the period they were first reached". So the
// offices enter it month by month, as the results model allows: a flow is split evenly over May
// and June (the split, like the spread over periods, is demonstration data), and a running count
// is entered once, as it stood at the end of June. Both months end by 30 June 2012, so the first
// half of 2012 counts them whether a range takes the values that lie in it or those that end in it.
const toReview = "to-review"

// reviewMonths are the months toReview books into: those of 2012T2 that end by AsOf.
func reviewMonths() []string {
	p, err := results.ParsePeriod(t122)
	if err != nil {
		panic(err)
	}
	var out []string
	for _, m := range p.Months() {
		if q, err := results.ParsePeriod(m); err == nil && q.End <= AsOf {
			out = append(out, m)
		}
	}
	return out
}

func ps(keys ...string) []string { return keys }

// campaignPeriods: Spring Festival (January-February) and the summer holidays (July-August) up
// to the review. The summer 2012 campaign came after it, so the review's 1,135,000 cannot include
// it: each site's figure is spread over the campaigns up to Spring Festival 2012, and no campaign
// has a toReview stretch (nothing ran in May and June).
var campaignPeriods = ps(t101, t102, t111, t112, t121)

var (
	dmSex  = sex(35, 65)
	volAge = age(0, 10, 60, 30)
)

// reports: what the offices counted for their units, indicator by indicator. CP2-CAP is a
// formula over the four kinds of people trained.
var reports = map[string][]rec{
	// The committees' members are added from the committee records in book(): everyone who ever
	// sat, in the month they took their seat. That is 209 people: 187 on the six PSCs (the 180
	// sitting at the review, the seed's "some 180 decision makers from the 6 PSCs", and the 7 they
	// replaced, pscChanges) and 22 on the Ningyuan and Wuxi committees. The evaluation's 1,774
	// leaves 1,565 for the records below. The 7 predecessors come off the provincial workshops of
	// the provinces where their seats changed (Jiangsu 3, Guizhou 2, Hunan 1, Yunnan 1), so that
	// every province's total is what it was when only the sitting members were counted.
	indDM: {
		{unit: "AH", total: 170, periods: ps(t102, t111, t113, t121), note: "Provincial workshops; 2010T2 includes the WF legal department directors at the NWCCW training on the NPA in Hefei.", dis: []split{dmSex}},
		{unit: "AH-HF-FD", total: 70, periods: ps(t103, t112, t121), note: "County officials trained.", dis: []split{dmSex}},
		{unit: "AH-CH-LJ", total: 60, periods: ps(t111, t113, toReview), note: "County officials trained.", dis: []split{dmSex}},
		{unit: "YN", total: 149, periods: ps(t102, t111, t113, t121), note: "Provincial workshops; 2011T1 trains PSC focal points of provincial and local levels.", dis: []split{dmSex}},
		{unit: "YN-BN-MH", total: 70, periods: ps(t103, t112, t121), note: "County officials trained.", dis: []split{dmSex}},
		{unit: "YN-KM", total: 50, periods: ps(t111, toReview), note: "City officials trained.", dis: []split{dmSex}},
		{unit: "GZ", total: 118, periods: ps(t103, t111, t113, toReview), note: "Provincial workshops; 2011T1 trains PSC focal points.", dis: []split{dmSex}},
		{unit: "GZ-BJ-ZJ", total: 90, periods: ps(t112, t121, toReview), note: "County officials trained.", dis: []split{dmSex}},
		{unit: "HN", total: 139, periods: ps(t102, t111, t113, t121), note: "Provincial workshops; 2011T1 trains PSC focal points.", dis: []split{dmSex}},
		{unit: "HN-YZ-NY", total: 118, periods: ps(t103, t112, t121, toReview), note: "County officials trained.", dis: []split{dmSex}},
		{unit: "JS", total: 147, periods: ps(t102, t111, t113, t121), note: "Provincial workshops; 2011T1 trains PSC focal points.", dis: []split{dmSex}},
		{unit: "JS-WX", total: 80, periods: ps(t103, t112, t121), note: "City officials trained.", dis: []split{dmSex}},
		{unit: "JS-CZ", total: 60, periods: ps(t112, t121), note: "City officials trained.", dis: []split{dmSex}},
		{unit: "FJ", total: 130, periods: ps(t103, t112, t121), note: "Provincial workshops.", dis: []split{dmSex}},
		{unit: "FJ-QZ", total: 64, periods: ps(t111, t113, toReview), note: "City officials trained.", dis: []split{dmSex}},
		{unit: "FJ-XM", total: 50, periods: ps(t112, toReview), note: "City officials trained.", dis: []split{dmSex}},
	},
	indTCH: {
		{unit: "AH-HF-FD", total: 240, periods: ps(t102, t103, t112, t113, toReview), dis: []split{sex(62, 38)}},
		{unit: "AH-CH-LJ", total: 180, periods: ps(t103, t113, t121), dis: []split{sex(62, 38)}},
		{unit: "YN-BN-MH", total: 380, periods: ps(t102, t103, t111, t113, t121), dis: []split{sex(58, 42)}},
		{unit: "GZ-BJ-ZJ", total: 310, periods: ps(t111, t113, t121, toReview), dis: []split{sex(55, 45)}},
		{unit: "HN-YZ-NY", total: 460, periods: ps(t102, t103, t111, t113, t121, toReview), dis: []split{sex(60, 40)}},
		{unit: "JS-WX-HS", total: 294, periods: ps(t103, t113, t121), dis: []split{sex(64, 36)}},
		{unit: "FJ-QZ-JJ", total: 330, periods: ps(t103, t111, t113, toReview), dis: []split{sex(66, 34)}},
	},
	indCSM: {
		{unit: "AH-HF-FD-01", total: 70, periods: ps(t102, t111, t113, t121), note: "Dianbu Women's Home.", dis: []split{sex(82, 18)}},
		{unit: "AH-HF-YH-01", total: 80, periods: ps(t102, t103, t112, t121), note: "Sanlijie Migrant Community Service Center.", dis: []split{sex(75, 25)}},
		{unit: "YN-KM-GD-01", total: 90, periods: ps(t101, t103, t112, t121), note: "Guanshang Migrant Women's Home.", dis: []split{sex(85, 15)}},
		{unit: "YN-KM", total: 80, periods: ps(t102, t111, t113, toReview), note: "Yunnan Heart to Heart Community Care Centre.", dis: []split{sex(70, 30)}},
		{unit: "GZ-GY-NM-01", total: 75, periods: ps(t111, t113, toReview), note: "Youzhajie Women's Home.", dis: []split{sex(85, 15)}},
		{unit: "GZ-BJ-ZJ-01", total: 65, periods: ps(t112, t121), note: "Zhijin Chengguan Women's Home.", dis: []split{sex(85, 15)}},
		{unit: "HN-CS-FR-01", total: 95, periods: ps(t102, t111, t113, t121), note: "Wulipai Women's Home.", dis: []split{sex(85, 15)}},
		{unit: "HN-YZ-NY-01", total: 85, periods: ps(t103, t112, toReview), note: "Shunling Women's Home.", dis: []split{sex(85, 15)}},
		{unit: "JS-WX-BH-01", total: 95, periods: ps(t102, t103, t112, t121), note: "Helie Women's Home.", dis: []split{sex(85, 15)}},
		{unit: "JS-WX-HS-01", total: 80, periods: ps(t103, t113, toReview), note: "Yanqiao Women's Home.", dis: []split{sex(85, 15)}},
		{unit: "JS-CZ-WJ-01", total: 75, periods: ps(t111, t113, t121), note: "Hutang Women's Home.", dis: []split{sex(85, 15)}},
		{unit: "FJ-FZ-CS-01", total: 70, periods: ps(t103, t112, t121), note: "Chengmen Women's Home.", dis: []split{sex(85, 15)}},
		{unit: "FJ-QZ-JJ-01", total: 66, periods: ps(t111, t113, toReview), note: "Chendai Women's Home.", dis: []split{sex(85, 15)}},
		{unit: "FJ-XM-HL-01", total: 60, periods: ps(t112, t121), note: "Dianqian Women's Home.", dis: []split{sex(85, 15)}},
	},
	// Employer cooperation runs in Wuxi and Changzhou only and started late (§3.3: "substantially
	// behind schedule" at the review); its first employers were trained from September to December
	// 2011, in all three places (plans.go, employerFactories).
	indEMP: {
		{unit: "JS-WX-BH", total: 30, periods: ps(t113, t121, toReview), note: "Rongxiang partner garment factory.", dis: []split{sex(35, 65)}},
		{unit: "JS-WX-HS", total: 60, periods: ps(t113, t121, toReview), note: "Yanqiao and Chang'an partner garment factories.", dis: []split{sex(35, 65)}},
		{unit: "JS-CZ-WJ", total: 52, periods: ps(t113, t121, toReview), note: "Hutang and Niutang partner factories.", dis: []split{sex(35, 65)}},
	},
	indVOL: {
		{unit: "AH-HF", total: 90, periods: ps(t101, t111, t121), note: "Campaign volunteers at Hefei Railway Station.", dis: []split{sex(55, 45), volAge}},
		{unit: "AH-HF-YH-01", total: 50, periods: ps(t103, t112, t121), note: "Volunteers of the Sanlijie centre.", dis: []split{sex(70, 30), volAge}},
		{unit: "YN-KM", total: 100, periods: ps(t101, t111, t121), note: "Campaign volunteers at Kunming Railway Station.", dis: []split{sex(55, 45), volAge}},
		{unit: "YN-KM-GD-01", total: 50, periods: ps(t103, t113, toReview), note: "'Big sister' volunteers of the Women's Home.", dis: []split{sex(90, 10), volAge}},
		{unit: "GZ-GY", total: 70, periods: ps(t112, t121), note: "Campaign volunteers at Guiyang Railway Station.", dis: []split{sex(55, 45), volAge}},
		{unit: "GZ-GY-NM-01", total: 30, periods: ps(t113, toReview), dis: []split{sex(90, 10), volAge}},
		{unit: "HN-CS", total: 85, periods: ps(t101, t111, t121), note: "Campaign volunteers at Changsha Railway Station.", dis: []split{sex(55, 45), volAge}},
		{unit: "HN-CS-FR-01", total: 50, periods: ps(t103, t113, toReview), dis: []split{sex(90, 10), volAge}},
		{unit: "JS-NJ", total: 87, periods: ps(t101, t111, t121), note: "Campaign volunteers at Nanjing Railway Station.", dis: []split{sex(55, 45), volAge}},
		{unit: "JS-WX-BH-01", total: 70, periods: ps(t103, t112, t121), dis: []split{sex(90, 10), volAge}},
		{unit: "FJ-FZ", total: 80, periods: ps(t102, t111, t121), note: "Campaign volunteers at Fuzhou Railway Station.", dis: []split{sex(55, 45), volAge}},
		{unit: "FJ-XM-HL-01", total: 55, periods: ps(t112, toReview), dis: []split{sex(90, 10), volAge}},
	},
	// The seeds name neither national research institution nor where it worked: each is recorded
	// with the provincial office that contracted it.
	indRORG: {
		{unit: "YN", periods: ps(t103, t113, toReview), vals: []int{1, 1, 1}, note: "National institution that trained the baseline survey core teams (unnamed in the seeds)."},
		{unit: "JS", periods: ps(t111, t113, toReview), vals: []int{1, 1, 1}, note: "National institution in the follow-up to the student worker research (unnamed in the seeds)."},
	},
	indRPROV: {
		{unit: "AH", periods: ps(t103, toReview), vals: []int{1, 1}, note: "Department of Sociology, Anhui University."},
		{unit: "YN", periods: ps(t103, toReview), vals: []int{1, 1}, note: "Social Work Institute, Yunnan University."},
		{unit: "GZ", periods: ps(t103, toReview), vals: []int{1, 1}, note: "Department of Sociology, Guizhou University."},
		{unit: "HN", periods: ps(t103, toReview), vals: []int{1, 1}, note: "College of Education Science, Hunan Normal University."},
		{unit: "JS", periods: ps(t103, t111, toReview), vals: []int{1, 2, 2}, note: "School of Social Development, Nanjing Normal University, and from 2011 a second Jiangsu institution (unnamed in the seeds)."},
		{unit: "FJ", periods: ps(t103, toReview), vals: []int{1, 1}, note: "School of Social History, Fujian Normal University."},
		{unit: "SC", periods: ps(toReview), vals: []int{1}, note: "Sichuan Academy of Social Sciences: migrant children in Chengdu."},
	},
	// The 2010 baseline survey (September-December) trained each province's core team and
	// field researchers.
	indRES: {
		{unit: "AH", total: 24, periods: ps(t103), note: "Baseline survey team.", dis: []split{sex(55, 45), only("institution", "provincial")}},
		{unit: "YN", total: 28, periods: ps(t103), note: "Baseline survey team.", dis: []split{sex(55, 45), only("institution", "provincial")}},
		{unit: "YN", total: 10, periods: ps(t102), note: "Researchers of the national institution preparing the baseline survey.", dis: []split{sex(50, 50), only("institution", "national")}},
		{unit: "GZ", total: 22, periods: ps(t103), note: "Baseline survey team.", dis: []split{sex(55, 45), only("institution", "provincial")}},
		{unit: "HN", total: 24, periods: ps(t103), note: "Baseline survey team.", dis: []split{sex(55, 45), only("institution", "provincial")}},
		{unit: "JS", total: 24, periods: ps(t103), note: "Baseline survey team.", dis: []split{sex(55, 45), only("institution", "provincial")}},
		{unit: "JS", total: 16, periods: ps(t111), note: "Nanjing Normal University student worker research team.", dis: []split{sex(60, 40), only("institution", "provincial")}},
		{unit: "JS", total: 8, periods: ps(t112), note: "Researchers of the national institution.", dis: []split{sex(50, 50), only("institution", "national")}},
		{unit: "FJ", total: 22, periods: ps(t103), note: "Baseline survey team.", dis: []split{sex(55, 45), only("institution", "provincial")}},
		{unit: "SC", total: 12, periods: ps(toReview), note: "Chengdu migrant children study team.", dis: []split{sex(55, 45), only("institution", "provincial")}},
	},
	indCSO: {
		{unit: "AH", periods: ps(t103, t113, toReview), vals: []int{1, 1, 1}, note: "Sanlijie Migrant Community Service Center."},
		{unit: "YN", periods: ps(t103, t113, toReview), vals: []int{1, 1, 1}, note: "Yunnan Heart to Heart Community Care Centre."},
		{unit: "GD", periods: ps(t113, toReview), vals: []int{1, 3}, note: "Little Bird (labour CSO development forum in Shenzhen, from 2011); in 2012 the New Workers Group and a Shenzhen labour CSO co-organising the forum (unnamed in the seeds)."},
	},
	// Two provincial media training seminars, in Yunnan and Fujian (§3.1), and journalists briefed
	// at campaign launches everywhere.
	indJOURN: {
		{unit: "YN", total: 40, periods: ps(t113), note: "Provincial media training seminar.", dis: []split{sex(58, 42)}},
		{unit: "YN", total: 22, periods: ps(t101, t121), note: "Journalists at campaign launches.", dis: []split{sex(55, 45)}},
		{unit: "FJ", total: 36, periods: ps(t121), note: "Provincial media training seminar.", dis: []split{sex(58, 42)}},
		{unit: "FJ", total: 12, periods: ps(t102, t111), note: "Journalists at campaign launches.", dis: []split{sex(55, 45)}},
		{unit: "AH", total: 26, periods: ps(t101, t111, t121), note: "Journalists at campaign launches.", dis: []split{sex(55, 45)}},
		{unit: "GZ", total: 20, periods: ps(t112, t121), note: "Journalists at campaign launches.", dis: []split{sex(55, 45)}},
		{unit: "HN", total: 30, periods: ps(t101, t111, t121), note: "Journalists at campaign launches.", dis: []split{sex(55, 45)}},
		{unit: "JS", total: 38, periods: ps(t102, t113, t121), note: "Journalists at campaign launches.", dis: []split{sex(55, 45)}},
	},
	// Guizhou's campaigns ran for a shorter time (§4.1), from summer 2011.
	indCAMP: {
		{unit: "AH-HF", total: 160000, periods: campaignPeriods, note: "Hefei Railway Station and squares.", dis: []split{sex(48, 52)}},
		{unit: "AH-HF-FD", total: 70000, periods: ps(t102, t112), note: "Feidong County market days.", dis: []split{sex(50, 50)}},
		{unit: "YN-KM", total: 150000, periods: campaignPeriods, note: "Kunming Railway Station and bus stations.", dis: []split{sex(48, 52)}},
		{unit: "YN-BN", total: 65000, periods: ps(t102, t111, t112, t121), note: "Xishuangbanna bus stations and border crossings.", dis: []split{sex(50, 50)}},
		{unit: "GZ-GY", total: 80000, periods: ps(t112, t121), note: "Guiyang Railway Station.", dis: []split{sex(47, 53)}},
		{unit: "GZ-BJ", total: 30000, periods: ps(t121), note: "Bijie bus stations.", dis: []split{sex(50, 50)}},
		{unit: "HN-CS", total: 140000, periods: campaignPeriods, note: "Changsha Railway Station.", dis: []split{sex(48, 52)}},
		{unit: "HN-YZ", total: 65000, periods: ps(t102, t111, t121), note: "Yongzhou and Ningyuan bus stations.", dis: []split{sex(50, 50)}},
		{unit: "JS-NJ", total: 110000, periods: campaignPeriods, note: "Nanjing Railway Station.", dis: []split{sex(47, 53)}},
		{unit: "JS-WX", total: 55000, periods: ps(t102, t112), note: "Wuxi Railway Station and industrial parks.", dis: []split{sex(48, 52)}},
		{unit: "JS-CZ", total: 35000, periods: ps(t112), note: "Changzhou industrial parks.", dis: []split{sex(48, 52)}},
		{unit: "FJ-FZ", total: 90000, periods: campaignPeriods, note: "Fuzhou Railway Station.", dis: []split{sex(47, 53)}},
		{unit: "FJ-QZ", total: 50000, periods: ps(t101, t111, t121), note: "Quanzhou and Jinjiang stations.", dis: []split{sex(48, 52)}},
		{unit: "FJ-XM", total: 35000, periods: ps(t111, t121), note: "Xiamen Railway Station.", dis: []split{sex(48, 52)}},
	},
	// "Students of all 1,500 primary and middle schools in Anhui had received this set of
	// textbooks. In the last two years, more than one million students have been trained" (§3.1).
	indCURR: {
		{unit: "AH", total: 1100000, periods: ps(t111, t113, t121), note: "Safety textbooks in the 1,500 primary and middle schools, per school term; the Education Department reports no age breakdown.", dis: []split{sex(48, 52)}},
	},
}

// teacherNote is where the seeds' two teacher figures meet a record: the last teachers' value
// before the review carries §3.2's sentence.
var teacherNote = struct{ unit, period, text string }{"FJ-QZ-JJ", "2012-06",
	"Seed 001 §3.2 reports \"close to 2,100 teachers and 310 trainers have been trained\"; the §4 table counts 2,194 teachers, which the values here add up to."}

// apportion splits total in proportion to weights by largest remainder, so the parts add up to
// total exactly; ties go to the earlier part.
func apportion(total int, weights []int) []int {
	sum := 0
	for _, w := range weights {
		sum += w
	}
	out := make([]int, len(weights))
	if sum == 0 {
		return out
	}
	type rem struct{ i, r int }
	rems := make([]rem, len(weights))
	given := 0
	for i, w := range weights {
		out[i] = total * w / sum
		given += out[i]
		rems[i] = rem{i, total * w % sum}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; given < total; k++ {
		out[rems[k].i]++
		given++
	}
	return out
}

// officeOf is the project office that enters a unit's values: the pilot province's it lies in,
// or the national office ("CN") for units outside the six pilots (Sichuan, Guangdong).
func officeOf(unit string) string {
	prov, _, _ := strings.Cut(unit, "-")
	for _, p := range pilots {
		if p.code == prov {
			return p.code
		}
	}
	return "CN"
}

// officeRecords is the source reference of the values an office enters from its own monitoring.
func officeRecords(office string) string {
	for _, p := range pilots {
		if p.code == office {
			return p.en + " provincial project office monitoring records"
		}
	}
	return "National project office monitoring records"
}

// committeeRecords is the source reference of the decision makers counted from a committee.
func committeeRecords(en string) string { return "Membership records of the " + en }

// reported is one stored value being assembled: its total, its disaggregations and provenance.
// Every value is entered by its unit's office (results' source "entry"); ref names the records
// it was entered from. None cites a report: the demonstration's reports carry no figures of
// this framework (plans.go), and a value may cite only a report that does.
type reported struct {
	ind, unit, period, office, ref string
	total                          int
	parts                          map[string]int // "set:category" → value
	notes                          []string
}

type valueBook struct {
	m     map[string]*reported
	order []string
}

// at is the value of ind at unit for period, entered from the records ref. A value holds one
// source: two sources for the same unit and period are refused rather than merged.
func (b *valueBook) at(ind, unit, period, ref string) (*reported, error) {
	p, err := results.ParsePeriod(period)
	if err != nil {
		return nil, err
	}
	if p.End > AsOf {
		return nil, fmt.Errorf("%s at %s: period %s ends %s, after the review's cut-off %s", ind, unit, period, p.End, AsOf)
	}
	k := ind + "|" + unit + "|" + period
	r, ok := b.m[k]
	if !ok {
		r = &reported{ind: ind, unit: unit, period: period, office: officeOf(unit), ref: ref, parts: map[string]int{}}
		b.m[k] = r
		b.order = append(b.order, k)
	} else if r.ref != ref {
		return nil, fmt.Errorf("%s at %s %s: from both %q and %q", ind, unit, period, r.ref, ref)
	}
	return r, nil
}

func (r *reported) add(v int, note string, dis []split) {
	r.total += v
	for _, d := range dis {
		for i, x := range apportion(v, d.w) {
			if x > 0 {
				r.parts[d.set+":"+d.cats[i]] += x
			}
		}
	}
	if note != "" && !slices.Contains(r.notes, note) {
		r.notes = append(r.notes, note)
	}
}

// committeeSeats returns the day each person who ever sat on the committee named zh at unit took
// their seat, members since replaced included, from the committee records.
type committeeSeats func(unit, zh string) ([]string, error)

// book assembles every value of the demonstration: the offices' records above, the steering
// committees' members as decision makers. No value is for a period ending after AsOf.
//
// A unit's values of an indicator never overlap: results refuses a value whose period overlaps
// another's (May 2011 beside May-August 2011 would count May's people twice). The committees'
// members are counted in the month they took their seat, so where a unit's records give a
// 4-month period holding such a month, that period's figure is booked month by month in its
// other months, split evenly (a running count: in the last of them), as toReview is. The
// people stay in the period they were reached in, so every 4-month, half-year, year and
// life-of-project figure is what it was.
func book(seats committeeSeats) (*valueBook, error) {
	b := &valueBook{m: map[string]*reported{}}
	months := reviewMonths()
	// 180 of the decision makers sit on the six provincial steering committees at the review
	// (seed 001 §3.1, §4.2), and the county and city committees' members count too. The
	// indicator counts a person once, in the period first reached: for a committee member, the
	// month they took their seat. So everyone who ever sat is counted, founders in the month of
	// founding and those who replaced them in the month they joined; the members they replaced
	// count too, for they were reached while they sat.
	type committee struct{ unit, zh, en string }
	var cs []committee
	for _, p := range pilots {
		cs = append(cs, committee{p.code, p.short + "省项目指导委员会", p.en + " Provincial Steering Committee"})
	}
	for _, c := range localCommittees {
		cs = append(cs, committee{c.unit, c.zh, c.en})
	}
	joined := make([]map[string]int, len(cs))
	seated := map[string]bool{} // indDM|unit|month in which members took their seats
	for i, c := range cs {
		since, err := seats(c.unit, c.zh)
		if err != nil {
			return nil, err
		}
		joined[i] = map[string]int{}
		for _, d := range since {
			if d <= AsOf { // a seat taken after the review is not in its figure
				joined[i][d[:7]]++
				seated[indDM+"|"+c.unit+"|"+d[:7]] = true
			}
		}
	}
	for _, ind := range slices.Sorted(maps.Keys(reports)) {
		for _, r := range reports[ind] {
			parts := r.vals
			if parts == nil {
				w := make([]int, len(r.periods))
				for i := range w {
					w[i] = 4 + i
				}
				parts = apportion(r.total, w)
			}
			for i, p := range r.periods {
				if parts[i] == 0 {
					continue
				}
				// The months to book in, when not the period itself.
				var in []string
				if p == toReview {
					in = months
				} else {
					q, err := results.ParsePeriod(p)
					if err != nil {
						return nil, err
					}
					ms := q.Months()
					if slices.ContainsFunc(ms, func(m string) bool { return seated[ind+"|"+r.unit+"|"+m] }) {
						in = slices.DeleteFunc(ms, func(m string) bool { return seated[ind+"|"+r.unit+"|"+m] })
						if len(in) == 0 {
							return nil, fmt.Errorf("%s at %s %s: every month holds committee members", ind, r.unit, p)
						}
					}
				}
				booked := map[string]int{p: parts[i]}
				if in != nil {
					booked = map[string]int{}
					if r.vals != nil {
						booked[in[len(in)-1]] = parts[i] // a running count as it stood at the end
					} else {
						for j, x := range apportion(parts[i], slices.Repeat([]int{1}, len(in))) {
							booked[in[j]] = x
						}
					}
				}
				for _, q := range slices.Sorted(maps.Keys(booked)) {
					if booked[q] == 0 {
						continue
					}
					v, err := b.at(ind, r.unit, q, officeRecords(officeOf(r.unit)))
					if err != nil {
						return nil, err
					}
					v.add(booked[q], r.note, r.dis)
				}
			}
		}
	}
	for i, c := range cs {
		for _, m := range slices.Sorted(maps.Keys(joined[i])) {
			v, err := b.at(indDM, c.unit, m, committeeRecords(c.en))
			if err != nil {
				return nil, err
			}
			v.add(joined[i][m], "Members who took their seats on the "+c.en+" this month, from the committee records.", []split{dmSex})
		}
	}
	t := b.m[indTCH+"|"+teacherNote.unit+"|"+teacherNote.period]
	if t == nil {
		return nil, fmt.Errorf("no teachers' value for %s %s to carry the seeds' note", teacherNote.unit, teacherNote.period)
	}
	t.notes = append(t.notes, teacherNote.text)
	return b, nil
}

// entry is one batch to save: the values of one indicator that one office enters.
type entry struct {
	office, ind string
	values      []results.ValueInput
}

// inputs turns the book into batches of values to save, office by office and indicator by
// indicator in the framework's order.
func (b *valueBook) inputs(unitID func(string) (int64, error)) ([]entry, error) {
	byKey := map[[2]string][]results.ValueInput{}
	keys := slices.Clone(b.order)
	sort.Strings(keys)
	for _, k := range keys {
		r := b.m[k]
		id, err := unitID(r.unit)
		if err != nil {
			return nil, err
		}
		bk := [2]string{r.office, r.ind}
		v := float64(r.total)
		byKey[bk] = append(byKey[bk], results.ValueInput{Indicator: r.ind, UnitID: id, Period: r.period, Value: &v,
			Comment: strings.Join(r.notes, " "), Source: "entry", SourceRef: r.ref})
		for _, c := range slices.Sorted(maps.Keys(r.parts)) {
			x := float64(r.parts[c])
			byKey[bk] = append(byKey[bk], results.ValueInput{Indicator: r.ind, UnitID: id, Period: r.period, Combo: c, Value: &x,
				Source: "entry", SourceRef: r.ref})
		}
	}
	offices := []string{"CN"}
	for _, p := range pilots {
		offices = append(offices, p.code)
	}
	var out []entry
	for _, o := range offices {
		for _, in := range indicators {
			if vs := byKey[[2]string{o, in.Code}]; len(vs) > 0 {
				out = append(out, entry{o, in.Code, vs})
				delete(byKey, [2]string{o, in.Code})
			}
		}
	}
	if len(byKey) > 0 {
		return nil, fmt.Errorf("values of no office's indicator: %v", slices.Collect(maps.Keys(byKey)))
	}
	return out, nil
}

// results builds the framework, its indicators and targets and the reported values, each only
// when missing.
func (l *loader) results(ctx context.Context) error {
	svc := results.New(l.db)
	cn, err := l.unitOf("CN")
	if err != nil {
		return err
	}
	for _, set := range categorySets {
		if _, err := svc.CategorySet(ctx, set.Code); errors.Is(err, store.ErrNotFound) {
			if _, err := svc.SaveCategorySet(ctx, l.a, set); err != nil {
				return fmt.Errorf("category set %s: %w", set.Code, err)
			}
		} else if err != nil {
			return err
		}
	}

	fw, err := svc.Current(ctx, l.a, frameworkCode)
	if errors.Is(err, store.ErrNotFound) {
		fw, err = svc.CreateFramework(ctx, l.a, results.FrameworkInput{Code: frameworkCode, UnitID: cn.ID,
			NameZH: "中国预防以劳动剥削为目的的拐卖女童和青年妇女项目（二期）国家逻辑框架", NameEN: "CP-TING Phase II national logical framework"})
	}
	if err != nil {
		return fmt.Errorf("framework: %w", err)
	}
	if fw.Status == results.Draft {
		have, err := svc.Elements(ctx, l.a, fw.ID)
		if err != nil {
			return err
		}
		for _, e := range elements {
			if slices.ContainsFunc(have, func(h results.Element) bool { return h.Code == e.Code }) {
				continue
			}
			if _, err := svc.AddElement(ctx, l.a, fw.ID, e); err != nil {
				return fmt.Errorf("element %s: %w", e.Code, err)
			}
		}
		if fw, err = svc.Approve(ctx, l.a, fw.ID); err != nil {
			return fmt.Errorf("approve framework: %w", err)
		}
	}

	existing, err := svc.Indicators(ctx, l.a, frameworkCode)
	if err != nil {
		return err
	}
	for _, in := range indicators {
		if slices.ContainsFunc(existing, func(i results.Indicator) bool { return i.Code == in.Code }) {
			continue
		}
		in.FrameworkCode = frameworkCode
		if _, err := svc.CreateIndicator(ctx, l.a, in); err != nil {
			return fmt.Errorf("indicator %s: %w", in.Code, err)
		}
	}
	// The rules before the values: the offices' entries below pass through them.
	if err := l.rules(ctx, svc, frameworkCode, indicators); err != nil {
		return err
	}
	inds, err := svc.Indicators(ctx, l.a, frameworkCode)
	if err != nil {
		return err
	}
	indID := map[string]int64{}
	for _, i := range inds {
		indID[i.Code] = i.ID
	}

	// The progress table of each unit with targets shows which targets are already set, and
	// the national one whether values have been entered. A target already set is left alone,
	// even if someone has changed it since.
	tables := map[string]results.Table{}
	for _, t := range targets {
		if _, ok := tables[t.unit]; ok {
			continue
		}
		u, err := l.unitOf(t.unit)
		if err != nil {
			return err
		}
		if tables[t.unit], err = svc.Progress(ctx, l.a, frameworkCode, u, results.LOP, 0); err != nil {
			return err
		}
	}
	for _, t := range targets {
		if rowHas(tables[t.unit], t.ind, func(r results.Row) bool { return r.Target != nil }) {
			continue
		}
		u, _ := l.unitOf(t.unit)
		if err := svc.SetTarget(ctx, l.a, indID[t.ind], u.ID, "LOP", t.value, t.note); err != nil {
			return fmt.Errorf("target %s at %s: %w", t.ind, t.unit, err)
		}
	}
	for _, r := range tables["CN"].Rows {
		if r.Indicator.Aggregation != "reach" && r.Actual.Values > 0 {
			return nil // the values are in; SaveValues would only rewrite them and log it
		}
	}

	b, err := book(func(unit, zh string) ([]string, error) {
		u, err := l.unitOf(unit)
		if err != nil {
			return nil, err
		}
		cs, err := l.org.Committees(ctx, l.a, u.ID)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if c.NameZH != zh {
				continue
			}
			ms, err := l.org.Members(ctx, l.a, c.ID)
			if err != nil {
				return nil, err
			}
			since := make([]string, len(ms))
			for i, m := range ms {
				since[i] = m.Since
			}
			return since, nil
		}
		return nil, fmt.Errorf("committee %s is not at %s", zh, unit)
	})
	if err != nil {
		return err
	}
	batches, err := b.inputs(func(code string) (int64, error) {
		u, err := l.unitOf(code)
		return u.ID, err
	})
	if err != nil {
		return err
	}
	// Each office enters its own units' values, as the officer the plans' reports are reviewed
	// by (plans.go, cast); the national office enters those of units outside the pilots. One
	// batch per office and indicator: each is checked whole, and a refusal names both.
	c, err := l.cast(ctx)
	if err != nil {
		return err
	}
	for _, e := range batches {
		a, err := c.office(l, e.office)
		if err != nil {
			return err
		}
		if _, err := svc.SaveValues(ctx, a, e.values); err != nil {
			return fmt.Errorf("values of %s entered by the %s office: %w", e.ind, e.office, err)
		}
	}
	return nil
}

func rowHas(t results.Table, ind string, ok func(results.Row) bool) bool {
	for _, r := range t.Rows {
		if r.Indicator.Code == ind {
			return ok(r)
		}
	}
	return false
}
