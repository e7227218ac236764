package demo

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"ting/internal/org"
)

// seat is a place on a committee: the agency it represents, the role and the holder's title.
// When changed is set, a predecessor held the seat from the committee's founding until the
// day before.
type seat struct {
	partner, role, title string
	changed              string
}

type meeting struct {
	held, location, notes string
	decisions             []org.Decision
}

type committee struct {
	key         string // names the seats' people ("JS/psc")
	unit        string
	zh, en      string
	established string
	seats       []seat
	meetings    []meeting
}

// pscSize is the number of current members of each provincial steering committee: seed 001
// §3.1 counts 180 decision makers in the six PSCs.
const pscSize = 30

// pscSeats builds a PSC as seed 001 §2.3 "PSC" describes it: the vice-governor in the chair,
// representatives of the line agencies, and focal points who carry the work between meetings.
func pscSeats(p pilot) []seat {
	s := p.short + "省"
	a := func(key string) string { return p.code + "-" + key }
	seats := []seat{
		{a("GOV"), "chair", "副省长", ""},
		{a("WF"), "vice_chair", s + "妇联主席", ""},
		{a("GOV"), "vice_chair", s + "人民政府副秘书长", ""},
		{a("WF"), "member", s + "妇联副主席", ""},
		{a("WCCW"), "member", s + "妇儿工委办公室主任", ""},
		{a("EDU"), "member", s + "教育厅副厅长", ""},
		{a("HRSS"), "member", s + "人力资源和社会保障厅副厅长", ""},
		{a("PSD"), "member", s + "公安厅副厅长", ""},
		{a("PSD"), "member", s + "公安厅刑侦总队副总队长", ""},
		{a("CA"), "member", s + "民政厅副厅长", ""},
		{a("JUS"), "member", s + "司法厅副厅长", ""},
		{a("HEALTH"), "member", s + "卫生厅副厅长", ""},
		{a("TRANS"), "member", s + "交通运输厅副厅长", ""},
		{a("FIN"), "member", s + "财政厅副厅长", ""},
		{a("PLC"), "member", p.short + "省委政法委副书记", ""},
		{a("CYL"), "member", "团" + p.short + "省委副书记", ""},
		{a("TU"), "member", s + "总工会副主席", ""},
		{a("RAIL"), "member", p.stationZH + "站长", ""},
		{a("MEDIA"), "member", p.paperZH + "副总编辑", ""},
		{p.research.code, "member", p.researchTitle, ""},
		{a("WF"), "focal_point", s + "妇联权益部部长", ""},
		{a("EDU"), "focal_point", s + "教育厅基础教育处处长", ""},
		{a("HRSS"), "focal_point", s + "人力资源和社会保障厅劳动监察局副局长", ""},
		{a("PSD"), "focal_point", s + "公安厅打拐办主任", ""},
		{a("CA"), "focal_point", s + "民政厅社会事务处处长", ""},
		{a("JUS"), "focal_point", s + "司法厅法制宣传处处长", ""},
		{a("CYL"), "focal_point", "团" + p.short + "省委权益部部长", ""},
		{a("TU"), "focal_point", s + "总工会女职工部部长", ""},
		{a("WCCW"), "focal_point", s + "妇儿工委办公室副主任", ""},
		{a("TRANS"), "focal_point", s + "交通运输厅运输处处长", ""},
	}
	// Where a CSO works as the Women's Home (Anhui, Yunnan), its director takes the finance seat.
	if p.cso != "" {
		seats[13] = seat{p.cso, "member", p.csoTitle, ""}
	}
	for _, c := range pscChanges[p.code] {
		seats[c.seat].changed = c.on
	}
	return seats
}

// pscChanges: members replaced during Phase II. Jiangsu's high turnover (§3.1) and Guizhou's
// education and civil-affairs representatives, reluctant at first, replaced in 2011.
var pscChanges = map[string][]struct {
	seat int
	on   string
}{
	"JS": {{5, "2011-03-01"}, {7, "2011-07-01"}, {20, "2011-05-16"}},
	"GZ": {{5, "2011-03-01"}, {9, "2011-03-01"}},
	"HN": {{15, "2011-09-01"}},
	"YN": {{17, "2012-01-01"}},
}

func decision(text, responsible, due string) org.Decision {
	return org.Decision{Text: text, Responsible: responsible, DueOn: due}
}

// pscMeetings: the decisions come from what seed 001 §3.1-§4 reports of each province.
var pscMeetings = map[string][]meeting{
	"AH": {
		{"2010-03-18", "合肥 Hefei", "Reconvened for Phase II; Anhui took part in Phase I.", []org.Decision{
			decision("通过安徽省项目逻辑框架和2010年工作计划 / Adopt the Anhui logical framework and the 2010 work plan", "安徽省项目办公室", "2010-04-30"),
			decision("组织妇联法律部门负责人参加6月在合肥举办的国家行动计划培训，并增加一天以劳动剥削为目的的拐卖培训 / Send the WF legal department directors to the NWCCW training on the NPA in Hefei in June, with an extra day on trafficking for labour exploitation", "安徽省妇联", "2010-06-30"),
		}},
		{"2010-11-25", "合肥 Hefei", "", []org.Decision{
			decision("省教育厅在中小学安全教育教材中加入劳动剥削型拐卖、流动风险和求职知情决策内容 / Education Department to include trafficking for labour exploitation, migration risks and informed job-seeking in the provincial safety textbooks", "安徽省教育厅", "2011-09-01"),
			decision("支持三里街流动人口社区服务中心为瑶海区流动青年提供服务 / Support the Sanlijie Migrant Community Service Center in serving young migrants in Yaohai", "安徽省项目办公室", "2011-03-31"),
		}},
		{"2012-03-22", "合肥 Hefei", "", []org.Decision{
			decision("省教育厅在全省推广生活技能教育，覆盖小学六年级至高一及职业学校 / Education Department to extend life skills education province-wide: grade 6, grades 7-9, grade 10 and vocational schools", "安徽省教育厅", "2012-09-01"),
		}},
	},
	"YN": {
		{"2010-03-25", "昆明 Kunming", "Yunnan continues the ILO-TICW work of 2000-2008.", []org.Decision{
			decision("将项目指导委员会纳入常设的省反拐工作机构 / Integrate the PSC into the permanent Provincial Anti-trafficking Committee", "云南省公安厅", "2010-06-30"),
			decision("接待加拿大国际开发署代表团参观流动妇女之家和昆明反拐宣传活动 / Host the CIDA delegation at a Migrant Women's Home and the Kunming anti-trafficking campaign", "云南省项目办公室", "2010-03-31"),
		}},
		{"2011-04-14", "昆明 Kunming", "", []org.Decision{
			decision("由省财政出资召开项目联络员会议 / Fund the CP-TING focal-point meetings from the provincial budget", "云南省财政厅", "2011-12-31"),
			decision("举办省、州市两级项目联络员培训 / Hold a training workshop for provincial and local focal points", "云南省妇联", "2011-09-30"),
		}},
		{"2011-11-17", "昆明 Kunming", "", []org.Decision{
			decision("2012年2-3月与云南心连心社区关怀中心、云南大学社会工作研究所举办政策倡导论坛 / Hold the Yunnan Policy Advocacy Forum with YHHCCC and the Yunnan University social work institute in February-March 2012", "云南心连心社区关怀中心", "2012-03-31"),
			decision("将论坛形成的政策建议提交省政协 / Submit the forum's policy proposals to the Provincial Political Consultative Conference", "云南省妇联", "2012-04-30"),
		}},
	},
	"GZ": {
		{"2010-05-20", "贵阳 Guiyang", "New pilot province: the steering committee is established.", []org.Decision{
			decision("明确各成员单位在项目中的职责分工 / Set out each member agency's responsibilities in the project", "贵州省项目办公室", "2010-07-31"),
		}},
		{"2011-03-15", "贵阳 Guiyang", "", []org.Decision{
			decision("通过例会和培训推动教育厅、民政厅参与预防拐卖工作 / Engage the Education and Civil Affairs departments, which saw trafficking as outside their mandate, through regular meetings and training", "贵州省妇联", "2011-06-30"),
			decision("举办项目联络员培训班 / Hold a training workshop for the PSC focal points", "贵州省项目办公室", "2011-09-30"),
		}},
		{"2011-10-20", "贵阳 Guiyang", "", []org.Decision{
			decision("与福建省签订劳动力安全流动合作协议 / Sign the safe-migration cooperation agreement with Fujian", "贵州省妇联", "2011-12-31"),
			decision("教育厅在试点学校开展生活技能教育以减少辍学 / Education Department to pilot life skills education to reduce dropouts", "贵州省教育厅", "2012-06-30"),
		}},
		{"2012-05-24", "贵阳 Guiyang", "", []org.Decision{
			decision("复核妇女之家服务对象年龄结构，活动面向16-24岁目标群体 / Review the age of Women's Home beneficiaries and redirect activities to the 16-24 target group", "贵州省项目办公室", "2012-08-31"),
		}},
	},
	"HN": {
		{"2010-03-30", "长沙 Changsha", "Reconvened for Phase II; Hunan took part in Phase I.", []org.Decision{
			decision("在宁远县试点学校开展生活技能教育，并与控辍保学工作相结合 / Run life skills education in the Ningyuan pilot schools, joined to the county's student retention programme", "湖南省教育厅", "2010-09-30"),
		}},
		{"2011-05-12", "长沙 Changsha", "", []org.Decision{
			decision("建立QQ信息共享平台，覆盖省、县和基层各方 / Set up the QQ information-sharing platform for provincial, county and grassroots stakeholders", "湖南省项目办公室", "2011-07-31"),
			decision("将学生调查总结的12条防拐提示制成2012年新年挂历，在春运宣传中发放 / Turn the students' 12 anti-trafficking tips into 2012 New Year calendars for the Spring Festival campaign", "湖南省妇联", "2011-12-31"),
		}},
		{"2012-04-19", "长沙 Changsha", "", []org.Decision{
			decision("省教育厅将生活技能教育内容纳入“生活与健康”和“品德教育”课程 / Provincial Education Department to fold life skills education into the 'life and health' and 'morality education' subjects", "湖南省教育厅", "2012-12-31"),
		}},
	},
	"JS": {
		{"2010-04-15", "南京 Nanjing", "Reconvened for Phase II; Jiangsu took part in Phase I.", []org.Decision{
			decision("在无锡、常州开展基线调查 / Carry out the baseline survey in Wuxi and Changzhou", "江苏省项目办公室", "2010-12-31"),
		}},
		{"2010-12-16", "南京 Nanjing", "", []org.Decision{
			decision("基线调查发现工厂受访者近半数为学生工，委托南京师范大学社会发展学院开展专题调研 / The baseline found almost half the factory respondents were student workers: commission the Nanjing Normal University School of Social Development to research them", "南京师范大学社会发展学院", "2011-06-30"),
		}},
		{"2011-09-22", "南京 Nanjing", "", []org.Decision{
			decision("将学生工调研报告分送省政府有关部门和省人大常委会 / Circulate the student-worker research report to the provincial government stakeholders and the Provincial People's Congress", "江苏省妇联", "2011-12-31"),
			decision("省劳动部门加强对实习学生用工的劳动监察 / Labour Department to strengthen labour inspection of student interns", "江苏省人力资源和社会保障厅", "2012-06-30"),
		}},
		{"2012-04-26", "南京 Nanjing", "", []org.Decision{
			decision("复核140家试点服装企业员工年龄结构，替换不再雇用24岁以下员工的企业 / Review the workforce age of the 140 pilot garment factories and replace those no longer employing under-24s", "无锡市妇联、常州市妇联", "2012-08-31"),
		}},
	},
	"FJ": {
		{"2010-05-27", "福州 Fuzhou", "New pilot province: the steering committee is established.", []org.Decision{
			decision("在福州、泉州、厦门选定社区建立妇女之家 / Select communities in Fuzhou, Quanzhou and Xiamen for Women's Homes", "福建省妇联", "2010-09-30"),
		}},
		{"2011-06-09", "福州 Fuzhou", "", []org.Decision{
			decision("制定全省反拐监测计划，各成员单位建立本部门监测制度 / Draw up a provincial anti-trafficking monitoring plan; member departments to set up their own monitoring systems", "福建省妇女儿童工作委员会", "2012-03-31"),
			decision("与贵州省商签劳动力安全流动合作协议 / Negotiate a safe-migration agreement with Guizhou", "福建省妇联", "2011-12-31"),
		}},
		{"2012-02-23", "福州 Fuzhou", "", []org.Decision{
			decision("举办省级媒体培训研讨会 / Hold a provincial media training seminar", "福建日报社", "2012-06-30"),
		}},
	},
}

// localCommittees: the PSC model replicated at city and county level with the vice-mayor or
// county head in the chair (§2.3 "PSC"); their members count as decision makers too.
var localCommittees = []committee{
	{key: "HN-YZ-NY/csc", unit: "HN-YZ-NY", zh: "宁远县项目指导委员会", en: "Ningyuan County Steering Committee", established: "2010-06-10",
		seats: []seat{
			{"HN-YZ-NY-GOV", "chair", "宁远县副县长", ""},
			{"HN-YZ-NY-WF", "vice_chair", "宁远县妇联主席", ""},
			{"HN-YZ-NY-EDU", "member", "宁远县教育局局长", ""},
			{"HN-YZ-NY-PSB", "member", "宁远县公安局副局长", ""},
			{"HN-YZ-NY-HRSS", "member", "宁远县人力资源和社会保障局副局长", ""},
			{"HN-YZ-NY-CA", "member", "宁远县民政局副局长", ""},
			{"HN-YZ-NY-JUS", "member", "宁远县司法局副局长", ""},
			{"HN-YZ-NY-CYL", "member", "共青团宁远县委书记", ""},
			{"HN-YZ-NY-02-MS", "member", "天堂镇中学校长", ""},
			{"HN-YZ-NY-03-MS", "member", "湾井镇中学校长", ""},
			{"HN-YZ-NY-VS", "member", "宁远县职业中专学校校长", ""},
			{"HN-YZ-NY-WF", "focal_point", "宁远县妇联权益部部长", ""},
		},
		meetings: []meeting{
			{"2010-06-10", "宁远 Ningyuan", "", []org.Decision{
				decision("在天堂镇、湾井镇中学和县职业中专试点生活技能教育 / Pilot life skills education in the Tiantang and Wanjing middle schools and the county vocational school", "宁远县教育局", "2010-09-30"),
			}},
			{"2011-03-24", "宁远 Ningyuan", "", []org.Decision{
				decision("组织学生在校外访谈返乡务工人员，纳入控辍保学工作 / Students to interview returning migrants out of school, as part of student retention", "宁远县教育局", "2011-06-30"),
				decision("邀请县人社局到试点学校讲授劳动法规 / Invite the county labour bureau to give guest lessons on labour law in the pilot schools", "宁远县人力资源和社会保障局", "2011-12-31"),
			}},
		}},
	{key: "JS-WX/csc", unit: "JS-WX", zh: "无锡市项目指导委员会", en: "Wuxi City Steering Committee", established: "2010-07-08",
		seats: []seat{
			{"JS-WX-GOV", "chair", "无锡市副市长", ""},
			{"JS-WX-WF", "vice_chair", "无锡市妇联主席", ""},
			{"JS-WX-HRSS", "member", "无锡市人力资源和社会保障局副局长", ""},
			{"JS-WX-HRSS", "member", "无锡市劳动保障监察支队支队长", ""},
			{"JS-WX-EDU", "member", "无锡市教育局副局长", ""},
			{"JS-WX-PSB", "member", "无锡市公安局副局长", ""},
			{"JS-WX-TU", "member", "无锡市总工会副主席", ""},
			{"JS-WX-MEDIA", "member", "无锡日报社副总编辑", ""},
			{"JS-WX-HS-VS", "member", "惠山区职业技术学校校长", ""},
			{"JS-WX-WF", "focal_point", "无锡市妇联权益部部长", ""},
		},
		meetings: []meeting{
			{"2010-07-08", "无锡 Wuxi", "", []org.Decision{
				decision("确定参与雇主合作项目的服装企业 / Select the garment factories for the employer cooperation intervention", "无锡市妇联", "2010-10-31"),
			}},
			{"2011-11-10", "无锡 Wuxi", "", []org.Decision{
				decision("由劳动监察人员和工会为企业开展劳动合同、工资和防拐培训 / Labour inspectors and trade unions to train employers on labour contracts, wages and trafficking prevention", "无锡市人力资源和社会保障局", "2012-03-31"),
				decision("分发《与青年一起工作》培训包 / Distribute the 'Working with Youth' training package", "无锡市总工会", "2012-06-30"),
			}},
		}},
}

func (l *loader) committees(ctx context.Context) error {
	all := make([]committee, 0, len(pilots)+len(localCommittees))
	for _, p := range pilots {
		seats := pscSeats(p)
		if len(seats) != pscSize {
			return fmt.Errorf("%s steering committee has %d seats, want %d", p.en, len(seats), pscSize)
		}
		all = append(all, committee{key: p.code + "/psc", unit: p.code, zh: p.short + "省项目指导委员会",
			en: p.en + " Provincial Steering Committee", established: p.established, seats: seats, meetings: pscMeetings[p.code]})
	}
	all = append(all, localCommittees...)
	for _, c := range all {
		if err := l.committee(ctx, c); err != nil {
			return fmt.Errorf("%s: %w", c.en, err)
		}
	}
	return nil
}

func (l *loader) committee(ctx context.Context, spec committee) error {
	u, err := l.unitOf(spec.unit)
	if err != nil {
		return err
	}
	existing, err := l.org.Committees(ctx, l.a, u.ID)
	if err != nil {
		return err
	}
	var c org.Committee
	for _, e := range existing {
		if e.NameZH == spec.zh {
			c = e
		}
	}
	if c.ID == 0 {
		if c, err = l.org.CreateCommittee(ctx, l.a, org.CommitteeInput{UnitID: u.ID, NameZH: spec.zh, NameEN: spec.en, EstablishedOn: spec.established}); err != nil {
			return err
		}
	}
	members, err := l.org.Members(ctx, l.a, c.ID)
	if err != nil {
		return err
	}
	byName := map[string]org.Member{}
	for _, m := range members {
		byName[m.PersonName] = m
	}
	var seated []org.Member
	add := func(in org.MemberInput) error {
		m, ok := byName[in.PersonName]
		if !ok {
			var err error
			if m, err = l.org.AddMember(ctx, l.a, c.ID, in); err != nil {
				return fmt.Errorf("member %s (%s): %w", in.PersonName, in.Title, err)
			}
		}
		seated = append(seated, m)
		return nil
	}
	for i, s := range spec.seats {
		pid, err := l.partnerID(s.partner)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("%s/%d", spec.key, i)
		since := spec.established
		if s.changed != "" {
			before := org.MemberInput{PersonName: l.names.name(key + "/before"), Title: s.title, PartnerID: pid, Role: s.role,
				Since: spec.established, Until: dayBefore(s.changed)}
			if err := add(before); err != nil {
				return err
			}
			since = s.changed
		}
		if err := add(org.MemberInput{PersonName: l.names.name(key), Title: s.title, PartnerID: pid, Role: s.role, Since: since}); err != nil {
			return err
		}
	}
	held, err := l.org.Meetings(ctx, l.a, c.ID)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, m := range held {
		done[m.HeldOn] = true
	}
	for _, m := range spec.meetings {
		if done[m.held] {
			continue
		}
		in := org.MeetingInput{HeldOn: m.held, Location: m.location, Notes: m.notes, Decisions: m.decisions}
		absent := absentees(seated, m.held)
		for _, s := range seated {
			if s.Since <= m.held && (s.Until == "" || s.Until >= m.held) && !absent[s.ID] {
				in.Present = append(in.Present, s.ID)
			}
		}
		if _, err := l.org.RecordMeeting(ctx, l.a, c.ID, in); err != nil {
			return fmt.Errorf("meeting of %s: %w", m.held, err)
		}
	}
	return nil
}

// absentees picks the two to four members who miss the meeting of held, never the chair:
// the same ones on every Load, different ones from meeting to meeting.
func absentees(members []org.Member, held string) map[int64]bool {
	var candidates []org.Member
	for _, m := range members {
		if m.Role != "chair" && m.Since <= held && (m.Until == "" || m.Until >= held) {
			candidates = append(candidates, m)
		}
	}
	slices.SortFunc(candidates, func(x, y org.Member) int {
		return cmp.Compare(hash(held+x.PersonName), hash(held+y.PersonName))
	})
	n := min(2+int(hash(held)%3), len(candidates)/4)
	out := map[int64]bool{}
	for _, m := range candidates[:n] {
		out[m.ID] = true
	}
	return out
}

func dayBefore(date string) string {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	return t.AddDate(0, 0, -1).Format(time.DateOnly)
}
