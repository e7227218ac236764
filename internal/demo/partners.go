package demo

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"

	"ting/internal/org"
)

// partner is an organisation the demo programme works with, sited at the unit with code unit.
type partner struct {
	code, unit, typ, sector, zh, en, notes string
}

// pilot carries what differs between the six pilot provinces: the provincial agencies are
// the same line departments everywhere (seed 001 §2.3 "PSC"), the station, newspaper and
// research partner are each province's own.
type pilot struct {
	code, short, en string // "AH", "安徽", "Anhui"
	capital         string // unit code of the provincial capital
	stationZH       string
	stationEN       string
	paperZH         string
	paperEN         string
	research        partner // the provincial research institution (its code is set here)
	researchTitle   string  // its representative on the steering committee
	labourEN        string  // English name of the labour department when the seeds name it
	established     string  // the provincial steering committee
	cso             string  // code of a CSO sitting on the steering committee, if any
	csoTitle        string
	officeOpened    string
}

var pilots = []pilot{
	{code: "AH", short: "安徽", en: "Anhui", capital: "AH-HF", stationZH: "合肥火车站", stationEN: "Hefei Railway Station",
		paperZH: "安徽日报社", paperEN: "Anhui Daily",
		research:      partner{code: "AH-RES", unit: "AH-HF", zh: "安徽大学社会学系", en: "Department of Sociology, Anhui University"},
		researchTitle: "安徽大学社会学系教授", established: "2010-03-18", cso: "AH-SANLIJIE", csoTitle: "三里街流动人口社区服务中心主任",
		officeOpened: "2010-01-11"},
	{code: "YN", short: "云南", en: "Yunnan", capital: "YN-KM", stationZH: "昆明火车站", stationEN: "Kunming Railway Station",
		paperZH: "云南日报社", paperEN: "Yunnan Daily",
		research:      partner{code: "YN-RES", unit: "YN-KM", zh: "云南大学社会工作研究所", en: "Social Work Institute, Yunnan University"},
		researchTitle: "云南大学社会工作研究所所长", established: "2010-03-25", cso: "YN-YHHCCC", csoTitle: "云南心连心社区关怀中心主任",
		officeOpened: "2010-01-11"},
	{code: "GZ", short: "贵州", en: "Guizhou", capital: "GZ-GY", stationZH: "贵阳火车站", stationEN: "Guiyang Railway Station",
		paperZH: "贵州日报社", paperEN: "Guizhou Daily",
		research:      partner{code: "GZ-RES", unit: "GZ-GY", zh: "贵州大学社会学系", en: "Department of Sociology, Guizhou University"},
		researchTitle: "贵州大学社会学系副教授", established: "2010-05-20", officeOpened: "2010-03-01"},
	{code: "HN", short: "湖南", en: "Hunan", capital: "HN-CS", stationZH: "长沙火车站", stationEN: "Changsha Railway Station",
		paperZH: "湖南日报社", paperEN: "Hunan Daily",
		research:      partner{code: "HN-RES", unit: "HN-CS", zh: "湖南师范大学教育科学学院", en: "College of Education Science, Hunan Normal University"},
		researchTitle: "湖南师范大学教育科学学院教授", established: "2010-03-30", officeOpened: "2010-01-11"},
	{code: "JS", short: "江苏", en: "Jiangsu", capital: "JS-NJ", stationZH: "南京火车站", stationEN: "Nanjing Railway Station",
		paperZH: "新华日报社", paperEN: "Xinhua Daily (Jiangsu)",
		research: partner{code: "JS-NNU", unit: "JS-NJ-GL-01", zh: "南京师范大学社会发展学院", en: "School of Social Development, Nanjing Normal University",
			notes: "Jiangsu Student Worker Research (2010-2011), which led to the provincial regulation protecting student workers."},
		researchTitle: "南京师范大学社会发展学院教授", labourEN: "Jiangsu Labour Department (Human Resources and Social Security)",
		established: "2010-04-15", officeOpened: "2010-01-11"},
	{code: "FJ", short: "福建", en: "Fujian", capital: "FJ-FZ", stationZH: "福州火车站", stationEN: "Fuzhou Railway Station",
		paperZH: "福建日报社", paperEN: "Fujian Daily",
		research:      partner{code: "FJ-RES", unit: "FJ-FZ", zh: "福建师范大学社会历史学院", en: "School of Social History, Fujian Normal University"},
		researchTitle: "福建师范大学社会历史学院教授", established: "2010-05-27", officeOpened: "2010-03-01"},
}

// provincialAgencies are the line agencies every pilot province brings to its steering
// committee; %s is the province's short Chinese name or its English name.
var provincialAgencies = []struct{ key, typ, sector, zh, en string }{
	{"GOV", "government", "other", "%s省人民政府", "%s Provincial People's Government"},
	{"WF", "womens_federation", "", "%s省妇女联合会", "%s Provincial Women's Federation"},
	{"WCCW", "government", "other", "%s省妇女儿童工作委员会", "%s Provincial Working Committee on Children and Women"},
	{"EDU", "government", "education", "%s省教育厅", "%s Provincial Education Department"},
	{"HRSS", "government", "labour", "%s省人力资源和社会保障厅", "%s Provincial Department of Human Resources and Social Security"},
	{"PSD", "government", "public_security", "%s省公安厅", "%s Provincial Public Security Department"},
	{"CA", "government", "civil_affairs", "%s省民政厅", "%s Provincial Civil Affairs Department"},
	{"JUS", "government", "justice", "%s省司法厅", "%s Provincial Justice Department"},
	{"HEALTH", "government", "health", "%s省卫生厅", "%s Provincial Health Department"},
	{"TRANS", "government", "transport", "%s省交通运输厅", "%s Provincial Transport Department"},
	{"FIN", "government", "other", "%s省财政厅", "%s Provincial Finance Department"},
	{"PLC", "government", "justice", "中共%s省委政法委员会", "%s Provincial Political and Legal Affairs Commission"},
	{"CYL", "government", "other", "共青团%s省委", "%s Provincial Committee of the Communist Youth League"},
	{"TU", "trade_union", "", "%s省总工会", "%s Provincial Federation of Trade Unions"},
}

func (p pilot) partners() []partner {
	var out []partner
	for _, a := range provincialAgencies {
		en := fmt.Sprintf(a.en, p.en)
		if a.key == "HRSS" && p.labourEN != "" {
			en = p.labourEN
		}
		out = append(out, partner{code: p.code + "-" + a.key, unit: p.code, typ: a.typ, sector: a.sector, zh: fmt.Sprintf(a.zh, p.short), en: en})
	}
	r := p.research
	r.typ = "research"
	return append(out,
		partner{code: p.code + "-RAIL", unit: p.capital, typ: "government", sector: "railways", zh: p.stationZH, en: p.stationEN,
			notes: "Spring Festival and summer campaigns at the station with railway staff and volunteers."},
		partner{code: p.code + "-MEDIA", unit: p.code, typ: "media", zh: p.paperZH, en: p.paperEN},
		r)
}

// national partners: the ACWF and ministries, the international agencies of the UNIAP theme
// group (seed 001 §2.2.2), the donor, and the national labour CSOs (§3.1 "Civil Society").
var nationalPartners = []partner{
	{"ACWF", "CN", "womens_federation", "", "中华全国妇女联合会", "All-China Women's Federation (ACWF)", "National partner agency; Legal and International Departments."},
	{"MPS", "CN", "government", "public_security", "公安部", "Ministry of Public Security (MPS)", ""},
	{"MOR", "CN", "government", "railways", "铁道部", "Ministry of Railways", "Counter-trafficking awareness integrated into railway staff training."},
	{"MOHRSS", "CN", "government", "labour", "人力资源和社会保障部", "Ministry of Human Resources and Social Security (MoHRSS)", ""},
	{"MOE", "CN", "government", "education", "教育部", "Ministry of Education", ""},
	{"NWCCW", "CN", "government", "other", "国务院妇女儿童工作委员会", "National Working Committee on Children and Women (NWCCW)", ""},
	{"ACFTU", "CN", "trade_union", "", "中华全国总工会", "All-China Federation of Trade Unions (ACFTU)", ""},
	{"ILO", "CN", "international", "", "国际劳工组织北京局", "ILO Office for China and Mongolia (Beijing)", "Executing agency (ILO-IPEC)."},
	{"CIDA", "CN", "international", "", "加拿大国际开发署", "Canadian International Development Agency (CIDA)", "Donor: USD 3,936,138 for Phase II."},
	{"UNIAP", "CN", "international", "", "联合国机构间反对拐卖人口项目", "United Nations Inter-Agency Project on Human Trafficking (UNIAP)", ""},
	{"UNICEF", "CN", "international", "", "联合国儿童基金会", "United Nations Children's Fund (UNICEF)", ""},
	{"SCUK", "CN", "international", "", "英国救助儿童会", "Save the Children UK (SC-UK)", ""},
	{"UNESCO", "CN", "international", "", "联合国教科文组织", "United Nations Educational, Scientific and Cultural Organization (UNESCO)", ""},
	{"IOM", "CN", "international", "", "国际移民组织", "International Organization for Migration (IOM)", ""},
	{"WV", "CN", "international", "", "世界宣明会", "World Vision", ""},
	{"LITTLEBIRD", "CN", "cso", "", "小小鸟打工互助热线", "Little Bird migrant workers' hotline", "National labour-rights CSO; CP-TING supports its labour CSO development forum in Shenzhen for 30 CSOs."},
	{"NWG", "CN", "cso", "", "新工人艺术团", "New Workers Group", "Migrant workers' band; singing tours carrying anti-trafficking messages."},
	{"CWNEWS", "CN", "media", "", "中国妇女报", "China Women's News", ""},
}

// localPartners sit below the provinces: Women's Homes, CSOs, schools, employers, city and
// county agencies, trade unions and media.
var localPartners = []partner{
	// The 12 Women's Homes of Phase II (seed 001 §3.2), in the communities of the pilot provinces.
	{"JS-WX-BH-01-WH", "JS-WX-BH-01", "womens_home", "", "河埒街道妇女之家", "Helie Women's Home", ""},
	{"JS-WX-HS-01-WH", "JS-WX-HS-01", "womens_home", "", "堰桥街道妇女之家", "Yanqiao Women's Home", ""},
	{"JS-CZ-WJ-01-WH", "JS-CZ-WJ-01", "womens_home", "", "湖塘镇妇女之家", "Hutang Women's Home", ""},
	{"FJ-FZ-CS-01-WH", "FJ-FZ-CS-01", "womens_home", "", "城门镇妇女之家", "Chengmen Women's Home", "Target group largely moved away by mid-term; most beneficiaries now middle-aged."},
	{"FJ-QZ-JJ-01-WH", "FJ-QZ-JJ-01", "womens_home", "", "陈埭镇妇女之家", "Chendai Women's Home", ""},
	{"FJ-XM-HL-01-WH", "FJ-XM-HL-01", "womens_home", "", "殿前街道妇女之家", "Dianqian Women's Home", ""},
	{"GZ-GY-NM-01-WH", "GZ-GY-NM-01", "womens_home", "", "油榨街街道妇女之家", "Youzhajie Women's Home", "Target group largely moved away by mid-term; most beneficiaries now middle-aged."},
	{"GZ-BJ-ZJ-01-WH", "GZ-BJ-ZJ-01", "womens_home", "", "织金县城关镇妇女之家", "Zhijin Chengguan Women's Home", ""},
	{"YN-KM-GD-01-WH", "YN-KM-GD-01", "womens_home", "", "关上街道流动妇女之家", "Guanshang Migrant Women's Home", "Visited by CIDA's Regional Director in March 2010."},
	{"HN-CS-FR-01-WH", "HN-CS-FR-01", "womens_home", "", "五里牌街道妇女之家", "Wulipai Women's Home", ""},
	{"HN-YZ-NY-01-WH", "HN-YZ-NY-01", "womens_home", "", "舜陵镇妇女之家", "Shunling Women's Home", ""},
	{"AH-HF-FD-01-WH", "AH-HF-FD-01", "womens_home", "", "店埠镇妇女之家", "Dianbu Women's Home", ""},

	// CSOs acting as Women's Homes in Anhui and Yunnan (§3.3).
	{"AH-SANLIJIE", "AH-HF-YH-01", "cso", "", "三里街流动人口社区服务中心", "Sanlijie Migrant Community Service Center", "Established with CP-TING; services emulate a Women's Home."},
	{"YN-YHHCCC", "YN-KM", "cso", "", "云南心连心社区关怀中心", "Yunnan Heart to Heart Community Care Centre (YHHCCC)", "Co-organised the 2012 Yunnan Policy Advocacy Forum with Yunnan University."},

	// Pilot schools for life skills education.
	{"HN-YZ-NY-02-MS", "HN-YZ-NY-02", "school", "middle", "宁远县天堂镇中学", "Tiantang Town Middle School, Ningyuan", "Life skills education joined to the county's student retention programme."},
	{"HN-YZ-NY-03-MS", "HN-YZ-NY-03", "school", "middle", "宁远县湾井镇中学", "Wanjing Town Middle School, Ningyuan", ""},
	{"HN-YZ-NY-VS", "HN-YZ-NY", "school", "vocational", "宁远县职业中专学校", "Ningyuan County Vocational Secondary School", ""},
	{"AH-HF-FD-02-MS", "AH-HF-FD-02", "school", "middle", "肥东县撮镇中学", "Cuozhen Middle School, Feidong", ""},
	{"YN-BN-MH-02-MS", "YN-BN-MH-02", "school", "middle", "勐海县勐遮镇中学", "Mengzhe Middle School, Menghai", ""},
	{"GZ-BJ-ZJ-02-MS", "GZ-BJ-ZJ-02", "school", "middle", "织金县猫场镇中学", "Maochang Middle School, Zhijin", ""},
	{"FJ-QZ-JJ-02-MS", "FJ-QZ-JJ-02", "school", "middle", "晋江市安海镇中学", "Anhai Middle School, Jinjiang", ""},
	{"JS-WX-HS-VS", "JS-WX-HS", "school", "vocational", "无锡市惠山区职业技术学校", "Huishan Vocational and Technical School, Wuxi", "Student interns placed in local factories."},

	// Employer cooperation in Wuxi and Changzhou (§3.3), and the Foshan partner factory (§2.1).
	{"JS-WX-GF1", "JS-WX-BH-02", "employer", "", "无锡荣巷合作制衣厂", "Rongxiang partner garment factory, Wuxi", ""},
	{"JS-WX-GF2", "JS-WX-HS-01", "employer", "", "无锡堰桥合作制衣厂", "Yanqiao partner garment factory, Wuxi", ""},
	{"JS-WX-GF3", "JS-WX-HS-02", "employer", "", "无锡长安合作制衣厂", "Chang'an partner garment factory, Wuxi", "Workers' average age now above the under-24 target group."},
	{"JS-CZ-GF1", "JS-CZ-WJ-01", "employer", "", "常州湖塘合作纺织服装厂", "Hutang partner textile and garment factory, Changzhou", ""},
	{"JS-CZ-GF2", "JS-CZ-WJ-02", "employer", "", "常州牛塘合作制衣厂", "Niutang partner garment factory, Changzhou", ""},
	{"GD-FS-GF1", "GD-FS-NH-02", "employer", "", "佛山南海合作工厂", "Foshan Nanhai partner factory", "Toured by the Governor General of Canada in July 2010."},

	// City and county agencies and trade unions of the local steering committees.
	{"JS-WX-GOV", "JS-WX", "government", "other", "无锡市人民政府", "Wuxi Municipal People's Government", ""},
	{"JS-WX-WF", "JS-WX", "womens_federation", "", "无锡市妇女联合会", "Wuxi Women's Federation", ""},
	{"JS-WX-HRSS", "JS-WX", "government", "labour", "无锡市人力资源和社会保障局", "Wuxi Human Resources and Social Security Bureau", "Labour inspectors train employers in the employer cooperation intervention."},
	{"JS-WX-EDU", "JS-WX", "government", "education", "无锡市教育局", "Wuxi Education Bureau", ""},
	{"JS-WX-PSB", "JS-WX", "government", "public_security", "无锡市公安局", "Wuxi Public Security Bureau", ""},
	{"JS-WX-TU", "JS-WX", "trade_union", "", "无锡市总工会", "Wuxi Federation of Trade Unions", ""},
	{"JS-WX-MEDIA", "JS-WX", "media", "", "无锡日报社", "Wuxi Daily", ""},
	{"JS-CZ-WF", "JS-CZ", "womens_federation", "", "常州市妇女联合会", "Changzhou Women's Federation", ""},
	{"JS-CZ-TU", "JS-CZ", "trade_union", "", "常州市总工会", "Changzhou Federation of Trade Unions", ""},
	{"HN-YZ-NY-GOV", "HN-YZ-NY", "government", "other", "宁远县人民政府", "Ningyuan County People's Government", ""},
	{"HN-YZ-NY-WF", "HN-YZ-NY", "womens_federation", "", "宁远县妇女联合会", "Ningyuan County Women's Federation", ""},
	{"HN-YZ-NY-EDU", "HN-YZ-NY", "government", "education", "宁远县教育局", "Ningyuan County Education Bureau", ""},
	{"HN-YZ-NY-PSB", "HN-YZ-NY", "government", "public_security", "宁远县公安局", "Ningyuan County Public Security Bureau", ""},
	{"HN-YZ-NY-HRSS", "HN-YZ-NY", "government", "labour", "宁远县人力资源和社会保障局", "Ningyuan County Human Resources and Social Security Bureau", ""},
	{"HN-YZ-NY-CA", "HN-YZ-NY", "government", "civil_affairs", "宁远县民政局", "Ningyuan County Civil Affairs Bureau", ""},
	{"HN-YZ-NY-JUS", "HN-YZ-NY", "government", "justice", "宁远县司法局", "Ningyuan County Justice Bureau", ""},
	{"HN-YZ-NY-CYL", "HN-YZ-NY", "government", "other", "共青团宁远县委", "Ningyuan County Committee of the Communist Youth League", ""},

	// The light-involvement provinces: research in Chengdu, the Foshan model in Guangdong.
	{"SC-WF", "SC", "womens_federation", "", "四川省妇女联合会", "Sichuan Provincial Women's Federation", ""},
	{"SC-CD-RES", "SC-CD", "research", "", "四川省社会科学院", "Sichuan Academy of Social Sciences", "Research on migrant children's education access and employment prospects in Chengdu."},
	{"GD-WF", "GD", "womens_federation", "", "广东省妇女联合会", "Guangdong Provincial Women's Federation", ""},
	{"GD-FS-WF", "GD-FS", "womens_federation", "", "佛山市妇女联合会", "Foshan Women's Federation", ""},
}

// partnersAll creates the missing partners in one transaction, for the same reason as network.
func (l *loader) partnersAll(ctx context.Context) error {
	all := slices.Clone(nationalPartners)
	for _, p := range pilots {
		all = append(all, p.partners()...)
	}
	all = append(all, localPartners...)
	var created map[string]org.Partner
	err := l.db.Tx(ctx, func(tx *sql.Tx) error {
		created = map[string]org.Partner{}
		for _, p := range all {
			if _, ok := l.partners[p.code]; ok {
				continue
			}
			if _, dup := created[p.code]; dup {
				return fmt.Errorf("partner %s is listed twice", p.code)
			}
			u, err := l.unitOf(p.unit)
			if err != nil {
				return fmt.Errorf("partner %s: %w", p.code, err)
			}
			got, err := l.org.CreatePartnerTx(ctx, tx, l.a, org.PartnerInput{Code: p.code, UnitID: u.ID, Type: p.typ, Sector: p.sector,
				NameZH: p.zh, NameEN: p.en, Notes: p.notes})
			if err != nil {
				return fmt.Errorf("partner %s: %w", p.code, err)
			}
			created[p.code] = got
		}
		return nil
	})
	if err != nil {
		return err
	}
	maps.Copy(l.partners, created)
	return nil
}

// partnerID returns the id of a demo partner that must already exist.
func (l *loader) partnerID(code string) (int64, error) {
	p, ok := l.partners[code]
	if !ok {
		return 0, fmt.Errorf("partner %s is not in the demo", code)
	}
	return p.ID, nil
}
