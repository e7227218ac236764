package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"ting/internal/access"
	"ting/internal/plans"
	"ting/internal/results"
	"ting/internal/store"
)

// The work plans, interventions, reports and money of the demonstration, and the counterparts'
// in-kind contributions of Annex A (seed 001 §2.3 "Management Tools", "Financial resources",
// footnote 7, Annex A). Everything goes through plans.Service, so the format rules, the report
// schedule, the budget checks, the workflow and the tranche rules apply as they would to a user.
//
// The interventions are the ones the seeds name; their dates, budgets and the day each report
// moved are demonstration data shaped by what the seeds say of them: Jiangsu's Women's Homes
// report on time (§3.1: the model PSC), the new provinces Fujian and Guizhou report late (§2.3:
// "reports have been submitted late. This has led to the slow distribution of funds"), and the
// Wuxi/Changzhou employer cooperation is "substantially behind schedule" (§3.3).
//
// The reports carry no values of the national framework's indicators: the section 4 table is
// already reproduced exactly from the provincial offices' entries (results.go), and an approved
// report's values would overlap their periods, which is refused. Approved reports feed two indicators the table
// does not fix, in the provincial logical frameworks of Jiangsu and Yunnan (§2.3 names national
// and provincial logframes among the four management tools): the partner factories of the
// employer cooperation and the Yunnan forum's proposals to the provincial PCC. They are not added
// to the national framework, whose table must stay the evaluation's fourteen rows.

// AsOf is the day the demonstration's plans and money are seen from: 30 June 2012. The review
// was carried out "from June to July 2012" (seed 001 §1.4) and its figures run to the end of
// June 2012 (Annex A: "January 2010 - June 2012"), which also closes the first half of 2012 for
// the biannual report. Reports due by then and not in are late; their tranches are withheld.
const AsOf = "2012-06-30"

// reviewCite cites the review (seed 001) in the reports' narratives.
const reviewCite = "CP-TING II 内部技术评估 / internal technical review, 2012, "

// narrative is what an agency writes in a report: Chinese, then English, then the section of the
// review the text is drawn from.
type narrative struct{ progress, challenges, lessons, practices string }

// bi joins a text's two languages and its source.
func bi(zh, en, section string) string {
	return zh + "\n\n" + en + "\n\n[" + reviewCite + section + "]"
}

// pstep is one move of a report: the agency saves or, after a return, fixes its draft
// ("save", "fix") and submits it; the provincial office reviews; the national office returns or
// approves. on is the day it happened.
type pstep struct {
	act, on, comment string
}

func approved(submit, review, approve string) []pstep {
	return []pstep{{act: "save"}, {act: "submit", on: submit}, {act: "review", on: review}, {act: "approve", on: approve}}
}

func returned(submit, review, ret, comment string) []pstep {
	return []pstep{{act: "save"}, {act: "submit", on: submit}, {act: "review", on: review}, {act: "return", on: ret, comment: comment}}
}

// thenApproved continues a returned report: fixed, resubmitted, reviewed and approved.
func thenApproved(first []pstep, resubmit, review, approve string) []pstep {
	return append(first, pstep{act: "fix"}, pstep{act: "submit", on: resubmit}, pstep{act: "review", on: review}, pstep{act: "approve", on: approve})
}

func submitted(on string) []pstep { return []pstep{{act: "save"}, {act: "submit", on: on}} }

func drafted() []pstep { return []pstep{{act: "save"}} }

// pval is an indicator value a report gives for a unit.
type pval struct {
	ind, unit string
	value     float64
}

// repScript is what happens to one report of an intervention's schedule. spend is the share of
// every budget line the report accounts for, in basis points; paid is the day the tranche
// waiting on the report is released ("" while it is not).
type repScript struct {
	seq         int
	text, fixed narrative
	spend       int
	values      []pval
	steps       []pstep
	paid        string
}

type pline struct {
	item string
	yuan int64
}

// ivScript is an intervention and its history. It sits in the work plan of its unit for the
// year it starts; advance is the day its advance is paid ("" while it is not).
type ivScript struct {
	unit, code, format, zh, en, agency string
	locations                          []string
	start, end                         string
	lines                              []pline
	indicators                         []plans.TargetInput
	advance                            string
	reports                            []repScript
}

func goal(v float64) *float64 { return &v }

// Indicators of the provincial frameworks.
const (
	indFactories = "CP2JS-FACT"
	indProposals = "CP2YN-PROP"
)

// The report the national office returned to the Helie Women's Home, and the one it returned
// to Guizhou: the tests look for them.
const (
	helieReturn   = "请补充本期16-24岁用户人数，并按预算科目列出志愿者培训支出后重新提交。/ Please add the number of users aged 16-24 this period and list the volunteers' training expenditure by budget line, then resubmit."
	guizhouReturn = "本期多数用户为中年妇女，请说明如何重新面向16-24岁目标群体，并补充用户年龄构成后重新提交。/ Most users this period were middle-aged: please explain how the Homes will reach the 16-24 target group again and add the users' age profile before resubmitting."
)

// employerFactories are the partner factories whose employers and managers the employer
// cooperation trained from September to December 2011 (demonstration figures; no factories were
// trained before, as the garment trade contracted).
var employerFactories = []pval{{indFactories, "JS-WX-BH", 4}, {indFactories, "JS-WX-HS", 7}, {indFactories, "JS-CZ-WJ", 2}}

func sumValues(vs []pval) float64 {
	var s float64
	for _, v := range vs {
		s += v.value
	}
	return s
}

func wfLines(training, services, materials, monitoring int64) []pline {
	return []pline{{"妇女之家工作人员和志愿者培训 / Training of Women's Home staff and volunteers", training},
		{"流动妇女服务和活动 / Services and activities for migrant women", services},
		{"材料和妇女之家手册 / Materials and the Women's Home manual", materials},
		{"监测和报告 / Monitoring and reporting", monitoring}}
}

var interventions = []ivScript{
	// The 2010 Spring Rain Campaign (§3.2) with the Ministry of Railways (§4.3): a Letter of
	// Exchange over the Spring Festival travel season, 30 January to 10 March 2010.
	{unit: "CN", code: "LE-CN-01", format: plans.LetterOfExchange, agency: "MOR",
		zh: "2010年“春雨行动”：春运期间火车站反拐宣传", en: "2010 Spring Rain Campaign: anti-trafficking awareness at railway stations during the Spring Festival travel season",
		locations: []string{"AH-HF", "YN-KM", "GZ-GY", "HN-CS", "JS-NJ", "FJ-FZ"}, start: "2010-01-30", end: "2010-03-10",
		lines: []pline{{"宣传品（宣传单、手机袋）/ Publicity materials (leaflets, mobile phone bags)", 120000},
			{"铁路工作人员和志愿者培训 / Training of railway staff and volunteers", 50000},
			{"反馈问卷 / Feedback questionnaires", 30000}},
		indicators: []plans.TargetInput{{Code: indCAMP}, {Code: indVOL}},
		advance:    "2010-02-01",
		reports: []repScript{{seq: 1, spend: 9820, steps: approved("2010-04-06", "2010-04-12", "2010-04-16"), paid: "2010-04-28",
			text: narrative{
				progress: bi("为铁道部、妇联、火车站工作人员和志愿者举办培训，内容包括项目、本次干预、拐卖问题及风险意识；在六个试点省会城市火车站发放宣传单和手机袋等宣传品，并用问卷收集目标群体的反馈。",
					"Workshops for Ministry of Railways, Women's Federation and railway station staff and volunteers covered the project, the intervention, trafficking and risk awareness; leaflets and mobile phone bags were handed out at the railway stations of the six pilot provincial capitals, and questionnaires collected the target groups' feedback.", "§3.2, §3.3"),
				lessons: bi("宣传信息简明、以预防为导向：安全流动、法律和风险意识。", "Messages work when simple, concise and prevention-oriented: safe migration, legal and risk awareness.", "§3.3"),
			}}}},

	// The provincial Children and Youth forums of May to July 2010 (§3.1): Hunan's.
	{unit: "HN", code: "SA-HN-01", format: plans.SeminarAgreement, agency: "HN-WF",
		zh: "2010年湖南省儿童与青年论坛", en: "2010 Hunan Children and Youth Forum",
		locations: []string{"HN-CS", "HN-YZ-NY"}, start: "2010-05-01", end: "2010-07-31",
		lines: []pline{{"论坛场地和儿童差旅 / Forum venue and children's travel", 30000},
			{"与学校共同筹备 / Preparation with the schools", 15000},
			{"报送部委的成果报告 / Report of outcomes to the ministries", 5000}},
		advance: "2010-05-10",
		reports: []repScript{{seq: 1, spend: 9900, steps: approved("2010-09-02", "2010-09-10", "2010-09-21"), paid: "2010-10-08",
			text: narrative{
				progress: bi("省级儿童与青年论坛让农村中学生与决策者直接对话，提出预防拐卖的建议；论坛成果汇入报送有关部委的报告。",
					"The provincial Children and Youth Forum let rural middle school students talk directly with decision makers and put forward their recommendations on preventing trafficking; its outcomes go into the report to the ministries.", "§3.1, §4.4"),
				practices: bi("学生以自己开展的社会调查为依据提出建议。", "Students based their recommendations on social surveys they carried out themselves.", "§2.2.1"),
			}}}},

	// Jiangsu's Women's Homes (§3.2, §3.3): the model province, every report on time.
	{unit: "JS", code: "AP-JS-04", format: plans.ActionProgramme, agency: "JS-WF",
		zh: "江苏省妇女之家：无锡河埒、堰桥和常州湖塘的流动妇女一站式服务", en: "Women's Homes in Jiangsu: one-stop services for young migrant women in Helie and Yanqiao (Wuxi) and Hutang (Changzhou)",
		locations: []string{"JS-WX-BH-01", "JS-WX-HS-01", "JS-CZ-WJ-01"}, start: "2010-05-01", end: "2012-12-31",
		lines:      wfLines(180000, 220000, 60000, 40000),
		indicators: []plans.TargetInput{{Code: indSERV, Target: goal(9000)}, {Code: indCSM, Target: goal(240)}},
		advance:    "2010-05-10",
		reports: []repScript{
			{seq: 1, spend: 1000, steps: approved("2010-09-27", "2010-10-08", "2010-10-19"), paid: "2010-10-29", text: narrative{
				progress: bi("三个妇女之家从政府办公场所迁至流动人口聚居的社区，配备专职负责人，并从本地高校招募志愿者协助日常工作。",
					"The three Women's Homes moved from government offices into the communities where migrants live, named dedicated staff and recruited volunteers from local universities for the daily work.", "§3.2"),
				challenges: bi("多数工作人员为兼职，专职人员很少。", "Most staff are part-time; there are very few full-time staff.", "§3.2")}},
			{seq: 2, spend: 1200, steps: approved("2011-01-26", "2011-02-09", "2011-02-18"), paid: "2011-03-01", text: narrative{
				progress: bi("妇女之家工作人员接受了劳动合同、管理、社会性别主流化和参与式评估方法的培训。",
					"Women's Home staff were trained on labour contracts, management, gender mainstreaming and participatory evaluation methods.", "§3.2"),
				lessons: bi("服务需从社区服务中心的一般性服务转向流动妇女和女童的具体需求。",
					"Services have to move from the general services of the community centre model to the specific needs of migrant women and girls.", "§3.2")}},
			{seq: 3, spend: 1300, steps: approved("2011-05-25", "2011-06-03", "2011-06-14"), paid: "2011-06-24", text: narrative{
				progress: bi("妇女之家开展城市融入、医疗保健、法律意识与援助、就业服务和风险意识等培训和文娱活动，并定期征求受益人意见。",
					"The Homes ran recreational activities and training on urban integration, healthcare, legal awareness and assistance, employment services and risk awareness, and asked beneficiaries for feedback regularly.", "§3.2"),
				practices: bi("参与式监测：与流动人口定期讨论项目，使服务切合他们的需求。",
					"Participatory monitoring: partners discuss the programme with migrants regularly so that services answer their needs.", "§2.2.1")}},
			{seq: 4, spend: 1300, steps: approved("2011-09-28", "2011-10-12", "2011-10-21"), paid: "2011-11-02", text: narrative{
				progress: bi("鼓励流动妇女担任“大姐姐”或志愿者，引导新来的流动人口，形成同伴互助网络。",
					"Migrant women were encouraged to guide new arrivals as 'big sisters' or volunteers, building peer-to-peer support networks.", "§3.3"),
				challenges: bi("江苏项目办2011年更换了省项目协调员和项目助理，新人需要培训。",
					"The Jiangsu project office changed its provincial coordinator and assistant in 2011; the new staff needed training.", "§2.3, §5.2")}},
			{seq: 5, spend: 1300, steps: approved("2012-01-20", "2012-02-02", "2012-02-13"), paid: "2012-02-24", text: narrative{
				progress: bi("在江苏举办反拐经验交流会，与其他试点省分享妇女之家的做法。",
					"An anti-trafficking lessons-learned and information exchange session in Jiangsu shared the Women's Home approach with the other pilot provinces.", "§3.2")}},
			{seq: 6, spend: 1300, steps: approved("2012-05-28", "2012-06-06", "2012-06-15"), paid: "2012-06-27", text: narrative{
				progress: bi("妇女之家的服务已扩展到流动人口的就业、培训、法律、健康和社会需求；一位受益人说妇女之家就像“第二个家”。地方妇联承诺长期支持。",
					"Services now meet migrants' employment, training, legal, health and social needs; one beneficiary said the Women's Home feels like a 'second home'. The local Women's Federations have committed lasting support.", "§2.2.1, §3.2"),
				challenges: bi("人力资源不足使报告延迟或缓慢。", "The human resource deficit shows in delayed or slow reporting.", "§3.2")}},
		}},

	// The Jiangsu student worker research with Nanjing Normal University (§3.1, §4.4): a
	// Service Contract that followed the 2010 baseline survey.
	{unit: "JS", code: "SC-JS-01", format: plans.ServiceContract, agency: "JS-NNU",
		zh: "江苏学生工状况调研", en: "Jiangsu student worker research",
		locations: []string{"JS"}, start: "2010-12-01", end: "2011-09-30",
		lines: []pline{{"研究设计和实地调查 / Research design and fieldwork", 95000},
			{"分析和报告 / Analysis and report", 35000},
			{"向省项目指导委员会传播 / Dissemination through the PSC", 20000}},
		indicators: []plans.TargetInput{{Code: indRES}},
		advance:    "2010-12-10",
		reports: []repScript{{seq: 1, spend: 9800, steps: approved("2011-10-25", "2011-11-01", "2011-11-10"), paid: "2011-11-22",
			text: narrative{
				progress: bi("基线调查发现工厂受访者中近50%是学生工。本调研发现：很少学生工在实习上岗前接受职业安全卫生培训；50%以上每天工作超过8小时，其中12.15%超过10小时；报酬很少，有的还须向学校交“押金”；部分职业学校与企业合作，强迫16岁以下的学生加班。调研报告已通过省项目指导委员会送交省政府有关部门。",
					"The baseline survey found almost 50% of factory respondents were student workers. This research found that few student workers received OSH training before their internships; more than 50% worked over 8 hours a day, 12.15% over 10 hours; pay was small and some had to return money to their schools as a 'deposit'; some vocational schools, with enterprises, forced workers under 16 to work overtime. The report has gone to the provincial government stakeholders through the PSC.", "§3.1"),
				challenges: bi("学生工仍是在校学生，不受现行劳动法律保护。", "As enrolled students, student workers are not protected by present labour laws.", "§3.1"),
				lessons:    bi("针对具体问题、以行动为导向的研究可以直接推动政策改进。", "Issue-specific, action-oriented research can directly improve policy.", "§4.4, §5.3"),
			}}}},

	// Employer cooperation in Wuxi and Changzhou (§3.3, §5.2): "substantially behind schedule".
	// The garment trade contracted in 2011, the second report came in late and the third is
	// still a draft past its grace; spending trails time.
	{unit: "JS", code: "AP-JS-05", format: plans.ActionProgramme, agency: "JS-HRSS",
		zh: "无锡市、常州市雇主合作预防拐卖", en: "Employer cooperation on trafficking prevention in Wuxi and Changzhou",
		locations: []string{"JS-WX", "JS-CZ"}, start: "2011-05-01", end: "2013-04-30",
		lines: []pline{{"雇主和管理人员培训（《与青年共事》）/ Employer and manager training (Working with Youth)", 200000},
			{"劳动监察员和工会培训师 / Labour inspector and trade union trainers", 90000},
			{"《与青年共事》培训包印制和分发 / Printing and distribution of the Working with Youth package", 80000},
			{"工厂内的工人宣传活动 / Worker awareness activities in the factories", 80000},
			{"监测和报告 / Monitoring and reporting", 30000}},
		// §5.2: "some of the 140 garment factories selected for the intervention".
		indicators: []plans.TargetInput{{Code: indFactories, Target: goal(140)}, {Code: indEMP, Target: goal(150)}},
		advance:    "2011-05-16",
		reports: []repScript{
			{seq: 1, spend: 500, steps: approved("2011-10-12", "2011-10-20", "2011-11-02"), paid: "2011-11-15", text: narrative{
				progress: bi("在无锡、常州选定试点制衣企业，并与当地劳动监察部门和工会商定培训计划。",
					"Pilot garment factories were selected in Wuxi and Changzhou, and the training plan agreed with the local labour inspectors and trade unions.", "§3.3"),
				challenges: bi("2011年初经济下行，许多制衣厂关闭或迁往内地；年轻流动女工对劳动密集型工作的兴趣下降。",
					"After the economic downturn of early 2011 many garment factories closed or moved inland, and young migrant women became less interested in labour-intensive work.", "§5.2")}},
			{seq: 2, spend: 1200, values: employerFactories, steps: approved("2012-03-05", "2012-03-14", "2012-03-30"), paid: "2012-04-12", text: narrative{
				progress: bi(fmt.Sprintf("劳动监察员和工会为%g家试点企业的雇主和管理人员开展了劳动合同、预防拐卖、工资、最低标准和劳动权益保护培训；《与青年共事》培训包已获批准，正在分发。", sumValues(employerFactories)),
					fmt.Sprintf("Labour inspectors and trade unions trained the employers and managers of %g pilot factories on labour contracts, trafficking prevention, wages, minimum standards and labour rights; the Working with Youth package has been approved and is being distributed.", sumValues(employerFactories)), "§3.3"),
				challenges: bi("部分试点企业工人的平均年龄已超出24岁以下的目标群体；合作伙伴和企业对这类干预都缺乏经验；报告因省项目办人员更换而迟交。",
					"In some pilot factories the workers' average age has moved above the under-24 target group; partners and employers are new to this kind of intervention; the report was late while the provincial office changed staff.", "§3.3, §5.2"),
				lessons: bi("雇主认为保护劳动标准改善了工作环境、产品质量和生产，是双赢。",
					"Employers found that protecting labour standards improved the workplace, product quality and production: a win-win.", "§3.3")}},
			{seq: 3, spend: 900, steps: drafted(), text: narrative{
				progress: bi("（草稿）按省、县项目指导委员会的要求，正在复核试点企业工人的年龄构成，不符合目标群体的企业将被替换。",
					"(Draft) As the steering committees asked, the age profile of the pilot factories' workers is being reviewed; factories outside the target group are to be replaced.", "§5.2")}},
		}},

	// A Mini Programme of the Helie Women's Home, whose reporter is the demo's agency login: its
	// final report came back from the national office and waits for the agency to fix it.
	{unit: "JS", code: "MP-JS-01", format: plans.MiniProgramme, agency: reporterHome + "-WH",
		zh: "河埒街道妇女之家：“大姐姐”同伴互助与法律意识活动", en: "Helie Women's Home: 'big sister' peer support and legal-awareness activities",
		locations: []string{reporterHome}, start: "2011-09-01", end: "2012-04-30",
		lines: []pline{{"“大姐姐”志愿者培训 / 'Big sister' volunteer training", 18000},
			{"法律意识和技能活动 / Legal-awareness and skills sessions", 30000},
			{"外展材料 / Outreach materials", 12000}},
		indicators: []plans.TargetInput{{Code: indVOL, Target: goal(20)}},
		advance:    "2011-09-15",
		reports: []repScript{{seq: 1, spend: 9500, steps: returned("2012-05-28", "2012-06-05", "2012-06-20", helieReturn), text: narrative{
			progress: bi("培训“大姐姐”志愿者引导新来的流动女青年；开展法律意识、就业服务和城市融入活动。",
				"'Big sister' volunteers were trained to guide newly arrived young migrant women; legal-awareness, employment-service and urban-integration activities were held.", "§3.2, §3.3"),
			challenges: bi("工作人员大多为兼职。", "Most staff are part-time.", "§3.2")}}}},

	// Anhui's safety textbooks (§3.1, §4.3), the Action Programme whose reports carry the
	// curricula's reach in the results framework.
	{unit: "AH", code: "AP-AH-06", format: plans.ActionProgramme, agency: "AH-EDU",
		zh: "安徽省中小学安全教育教材：预防以劳动剥削为目的的拐卖", en: "Anhui safety textbooks for primary and middle schools: trafficking for labour exploitation and safe migration",
		locations: []string{"AH"}, start: "2011-01-01", end: "2012-12-31",
		lines: []pline{{"教材章节编写研讨会 / Textbook chapter workshops", 90000},
			{"教师使用安全教材的培训 / Teacher orientation on the safety textbooks", 120000},
			{"试点材料印制 / Printing of pilot materials", 60000},
			{"监测和报告 / Monitoring and reporting", 30000}},
		indicators: []plans.TargetInput{{Code: indCURR, Target: goal(1000000)}},
		advance:    "2011-01-14",
		reports: []repScript{
			{seq: 1, spend: 1700, steps: approved("2011-05-26", "2011-06-02", "2011-06-15"), paid: "2011-06-28", text: narrative{
				progress: bi("项目为省教育厅提供技术支持以及拐卖和劳动力流动风险的信息；以劳动剥削为目的的拐卖、流动风险和求职时的知情决策被编入教材的相关单元和章节。",
					"CP-TING gave the Education Department technical assistance and information on trafficking and the risks of labour migration; trafficking for labour exploitation, the risks of migration and informed decisions when looking for work were written into units and chapters of the textbooks.", "§3.1")}},
			{seq: 2, spend: 1800, steps: approved("2011-09-28", "2011-10-09", "2011-10-20"), paid: "2011-11-02", text: narrative{
				progress: bi("全省1,500所中小学的学生都已收到这套教材。", "Students of all 1,500 primary and middle schools in Anhui have received the textbooks.", "§3.1")}},
			{seq: 3, spend: 1700, steps: approved("2012-01-20", "2012-02-01", "2012-02-15"), paid: "2012-02-28", text: narrative{
				progress: bi("教材的相关单元在秋季学期授课。", "The units were taught in the autumn term.", "§3.1")}},
			{seq: 4, spend: 1700, steps: approved("2012-05-25", "2012-06-05", "2012-06-20"), text: narrative{
				progress: bi("省教育厅正把拐卖和劳动剥削内容纳入小学六年级、初中七至九年级、高中十年级和职业学校的课程；其他试点省希望借鉴安徽的经验。",
					"The Education Bureau is integrating trafficking and labour exploitation into the curricula of grade 6, grades 7 to 9, grade 10 and the vocational schools; other pilot provinces asked to learn from Anhui.", "§3.2, §4.3")}},
		}},

	// Fujian's Women's Homes: a new province whose reports come in late (§2.3), with the target
	// group moving away (§3.3).
	{unit: "FJ", code: "AP-FJ-04", format: plans.ActionProgramme, agency: "FJ-WF",
		zh: "福建省妇女之家：福州城门、晋江陈埭和厦门殿前", en: "Women's Homes in Fujian: Chengmen (Fuzhou), Chendai (Jinjiang) and Dianqian (Xiamen)",
		locations: []string{"FJ-FZ-CS-01", "FJ-QZ-JJ-01", "FJ-XM-HL-01"}, start: "2011-01-01", end: "2012-12-31",
		lines:      wfLines(120000, 160000, 40000, 30000),
		indicators: []plans.TargetInput{{Code: indSERV, Target: goal(6500)}, {Code: indCSM, Target: goal(180)}},
		advance:    "2011-02-15",
		reports: []repScript{
			{seq: 1, spend: 1100, steps: approved("2011-07-04", "2011-07-12", "2011-07-28"), paid: "2011-08-10", text: narrative{
				progress: bi("三个妇女之家完成选址和人员配备，开始为流动妇女服务。", "The three Women's Homes were sited and staffed and began serving migrant women.", "§3.2"),
				challenges: bi("作为新试点省份，对报告要求不熟悉，执行机构人手不足，报告迟交。",
					"As a new pilot province, Fujian was unfamiliar with the reporting requirements and its agencies short of staff: the report is late.", "§2.3")}},
			{seq: 2, spend: 1300, steps: approved("2011-10-26", "2011-11-03", "2011-11-18"), paid: "2011-12-01", text: narrative{
				progress: bi("开展法律意识、健康和就业服务培训，并由志愿者开展外展。", "Training on legal awareness, health and employment services; volunteers did outreach.", "§3.2")}},
			{seq: 3, spend: 1300, steps: approved("2012-02-10", "2012-02-20", "2012-03-06"), paid: "2012-03-20", text: narrative{
				progress: bi("福建与贵州就输出地和输入地之间的安全流动达成合作协议，为省际机制奠定基础。",
					"Fujian and Guizhou agreed to cooperate on safe migration between the receiving and the sending province, the basis of an inter-provincial mechanism.", "§3.2"),
				challenges: bi("部分妇女之家在项目开始时的16-24岁目标群体已经迁走，多数受益人为中年妇女。",
					"At some Homes the 16-24 target group present at the start has moved on; most beneficiaries are now middle-aged.", "§3.3")}},
			{seq: 4, spend: 1300, steps: submitted("2012-06-25"), text: narrative{
				progress: bi("根据受益人的需求提供技能培训和托幼服务。", "Skills training and childcare were provided as the beneficiaries asked.", "§3.3")}},
		}},

	// Guizhou's Women's Homes: late reports, two returned, the latest not in (§2.3, §3.1, §5.2).
	{unit: "GZ", code: "AP-GZ-04", format: plans.ActionProgramme, agency: "GZ-WF",
		zh: "贵州省妇女之家：贵阳油榨街和织金城关", en: "Women's Homes in Guizhou: Youzhajie (Guiyang) and Zhijin Chengguan",
		locations: []string{"GZ-GY-NM-01", "GZ-BJ-ZJ-01"}, start: "2011-01-01", end: "2012-12-31",
		lines:      wfLines(100000, 130000, 35000, 25000),
		indicators: []plans.TargetInput{{Code: indSERV, Target: goal(3500)}, {Code: indCSM, Target: goal(130)}},
		advance:    "2011-02-21",
		reports: []repScript{
			{seq: 1, spend: 1200, paid: "2011-09-26",
				steps: thenApproved(returned("2011-07-18", "2011-07-26", "2011-08-05",
					"财务报告未按预算科目列支，请按科目填报支出后重新提交。/ The financial report does not follow the budget lines: please report expenditure by budget line and resubmit."),
					"2011-08-22", "2011-08-29", "2011-09-09"),
				text: narrative{
					progress: bi("两个妇女之家开始运营，为流动妇女和留守家庭提供法律和安全流动信息。",
						"The two Women's Homes opened, giving migrant women and left-behind families legal and safe-migration information.", "§3.2"),
					challenges: bi("贵州是欠发达省份，缺乏国际项目合作经验。", "Guizhou, an under-developed province, has little experience of international project cooperation.", "§3.1")},
				fixed: narrative{
					progress: bi("两个妇女之家开始运营，为流动妇女和留守家庭提供法律和安全流动信息。支出已按预算科目重新填报。",
						"The two Women's Homes opened, giving migrant women and left-behind families legal and safe-migration information. Expenditure is now reported by budget line.", "§3.2"),
					challenges: bi("贵州是欠发达省份，缺乏国际项目合作经验。", "Guizhou, an under-developed province, has little experience of international project cooperation.", "§3.1")}},
			{seq: 2, spend: 1500, steps: approved("2011-11-14", "2011-11-25", "2011-12-12"), paid: "2011-12-28", text: narrative{
				progress:   bi("为妇女之家工作人员举办运营培训，并招募志愿者。", "Operations training for the Women's Home staff; volunteers recruited.", "§3.2"),
				challenges: bi("省项目办新聘项目助理，省项目协调员离任，工作延误。", "The provincial office hired a new project assistant and its coordinator left: work was delayed.", "§5.2")}},
			{seq: 3, spend: 1400, steps: returned("2012-03-12", "2012-03-28", "2012-04-10", guizhouReturn), text: narrative{
				progress: bi("开展就业和法律咨询服务。", "Employment and legal counselling services were provided.", "§3.2")}},
		}},

	// The 2012 Yunnan Policy Advocacy Forum, February to March 2012 (§3.1, §4.4), by the Yunnan
	// Heart to Heart Community Care Centre with Yunnan University.
	{unit: "YN", code: "SA-YN-01", format: plans.SeminarAgreement, agency: "YN-YHHCCC",
		zh: "2012年云南政策倡导论坛", en: "2012 Yunnan Policy Advocacy Forum",
		locations: []string{"YN-KM"}, start: "2012-02-01", end: "2012-03-31",
		lines: []pline{{"论坛场地和参与者差旅 / Forum venue and participants' travel", 48000},
			{"前期研究和主持 / Preparatory research and facilitation", 22000},
			{"提案起草和印制 / Drafting and printing the proposals", 10000}},
		indicators: []plans.TargetInput{{Code: indProposals, Target: goal(1)}},
		advance:    "2012-02-03",
		reports: []repScript{{seq: 1, spend: 9700, values: []pval{{indProposals, "YN-KM", 1}},
			steps: approved("2012-05-08", "2012-05-18", "2012-06-12"), paid: "2012-06-26", text: narrative{
				progress: bi("论坛于2012年2月至3月由云南心连心社区关怀中心与云南大学社会工作研究所合作举办。年轻流动妇女、民间组织和其他受益人与省政协进行了数天讨论；会后向省政协提交了一系列政策提案。",
					"Held from February to March 2012 by the Yunnan Heart to Heart Community Care Centre with the Social Work Institute of Yunnan University, the forum brought young migrant women, CSOs and other beneficiaries together for several days of discussion with the provincial Political Consultative Conference; a series of policy proposals was then submitted to the PCC.", "§3.1, §4.4"),
				lessons:   bi("合作伙伴的独立研究为论坛提案提供了依据。", "Independent research by partners supported the forum's proposals.", "§4.5"),
				practices: bi("论坛活动中形成了同伴网络。", "Peer networks formed during the forum.", "§3.3")}}}},

	// Little Bird's labour CSO development forum in Shenzhen for 30 CSOs (§3.1 "Civil Society
	// Engagement"): proposed beyond the work plan and still ahead at the review, so planned only.
	{unit: "CN", code: "EX-CN-01", format: plans.ExternalCollaboration, agency: "LITTLEBIRD",
		zh: "小小鸟：深圳劳工民间组织发展论坛", en: "Little Bird: labour CSO development forum in Shenzhen",
		locations: []string{"GD-SZ"}, start: "2012-09-01", end: "2012-10-15",
		lines: []pline{{"30家劳工民间组织的论坛（场地、差旅）/ Forum for 30 labour CSOs (venue, travel)", 90000},
			{"培训师和材料 / Trainers and materials", 30000}}},
}

// provincialFramework is a provincial logical framework holding the indicators the
// demonstration's reports feed, linked to the national framework's elements.
type provincialFramework struct {
	unit, code, zh, en string
	elements           []results.ElementInput
	indicators         []results.IndicatorInput
	targets            []target
}

var provincialFrameworks = []provincialFramework{
	{unit: "JS", code: "CPTING2-JS", zh: "江苏省项目逻辑框架", en: "Jiangsu provincial logical framework",
		elements: []results.ElementInput{
			{Kind: "development_objective", Code: "JS-DO", LinksTo: "DO", NameZH: "江苏省：为消除对儿童和青年妇女的劳动剥削作出贡献",
				NameEN: "Jiangsu: contribute to the elimination of labour exploitation of children and young women"},
			{Kind: "immediate_objective", Code: "JS-IO3", ParentCode: "JS-DO", LinksTo: "IO3", Position: 1, NameZH: "提高江苏流动妇女和儿童维护自身权益、安全流动的能力",
				NameEN: "Increased ability of migrant women and children in Jiangsu to protect their rights and migrate safely"},
			{Kind: "output", Code: "JS-O3.4", ParentCode: "JS-IO3", LinksTo: "O3.4", Position: 1, NameZH: "无锡、常州的雇主合作预防拐卖",
				NameEN: "Employer cooperation on trafficking prevention in Wuxi and Changzhou"},
		},
		indicators: []results.IndicatorInput{{Code: indFactories, ElementCode: "JS-O3.4", Position: 1, NameZH: "雇主和管理人员接受培训的试点企业",
			NameEN: "Pilot factories whose employers and managers were trained", Type: "count", UnitLabelZH: "家企业", UnitLabelEN: "factories", Aggregation: "sum",
			DataSourceZH: "AP-JS-05进度报告", DataSourceEN: "AP-JS-05 progress reports", Frequency: "tertile",
			DefinitionZH: "入选雇主合作、其雇主和管理人员参加了“与青年共事”培训的服装企业，计入其首次培训的期间。第4节表格统计的是雇主（142人），而非企业数。",
			DefinitionEN: "Garment factories selected for the employer cooperation whose employers and managers took the Working with Youth training, counted in the period of their first training. The section 4 table counts the employers (142), not their factories."}},
		targets: []target{{indFactories, "JS", 140, "Seed 001 §5.2: \"some of the 140 garment factories selected for the intervention\"."}},
	},
	{unit: "YN", code: "CPTING2-YN", zh: "云南省项目逻辑框架", en: "Yunnan provincial logical framework",
		elements: []results.ElementInput{
			{Kind: "development_objective", Code: "YN-DO", LinksTo: "DO", NameZH: "云南省：为消除对儿童和青年妇女的劳动剥削作出贡献",
				NameEN: "Yunnan: contribute to the elimination of labour exploitation of children and young women"},
			{Kind: "immediate_objective", Code: "YN-IO1", ParentCode: "YN-DO", LinksTo: "IO1", Position: 1, NameZH: "完善云南预防以劳动剥削为目的的拐卖的政策框架",
				NameEN: "Improved policy framework in Yunnan to prevent trafficking for labour exploitation"},
			{Kind: "output", Code: "YN-O1.5", ParentCode: "YN-IO1", LinksTo: "O1.5", Position: 1, NameZH: "流动人口、青年妇女和儿童与政府的政策对话",
				NameEN: "Policy dialogue between migrants, young women, children and the government"},
		},
		indicators: []results.IndicatorInput{{Code: indProposals, ElementCode: "YN-O1.5", Position: 1, NameZH: "论坛政策提案已提交省政协",
			NameEN: "Forum policy proposals submitted to the provincial Political Consultative Conference", Type: "yesno", Aggregation: "latest",
			DataSourceZH: "SA-YN-01终期报告", DataSourceEN: "SA-YN-01 final report", Frequency: "half_year",
			DefinitionZH: "云南政策倡导论坛的政策提案是否已提交省政协（种子文件001 §4.4：“一系列政策提案已提交云南省政治协商会议”）。",
			DefinitionEN: "Whether the policy proposals of the Yunnan Policy Advocacy Forum have been submitted to the provincial PCC (seed 001 §4.4: \"a series of policy proposals were submitted to the Yunnan Political Consultative Conference\")."}},
	},
}

// annexASource cites the contributions table; the import adds what Ting finds wrong with it.
const annexASource = "Seed 001 Annex A: Chinese counterparts' in-kind contributions to CP-TING (January 2010 - June 2012)"

// annexA is seed 001 Annex A as printed, in whole RMB. The review does not date its exchange
// rates ("US $1:6.302 RMB US $1: 0.9812 CAN$"); they are recorded on the last day of the period
// the table covers, so that the period's totals convert at them.
func annexA() plans.ContributionTable {
	row := func(cat string, national, provincial, local, subtotal int64) plans.ContributionRow {
		a := map[string]int64{}
		for lv, v := range map[string]int64{plans.NationalLevel: national, plans.ProvincialLevel: provincial, plans.LocalLevel: local} {
			if v > 0 { // Annex A leaves the national cell blank where the ACWF gave nothing
				a[lv] = v * 100
			}
		}
		sub := subtotal * 100
		return plans.ContributionRow{Category: cat, Amounts: a, StatedSubtotal: &sub}
	}
	total := int64(6259182_00)
	return plans.ContributionTable{
		From: "2010-01-01", To: "2012-06-30", Currency: "CNY", WholeUnits: true,
		Rows: []plans.ContributionRow{
			row("staff_salary", 150000, 851400, 761000, 1762400),
			row("part_time_input", 0, 777900, 547400, 1325300),
			row("office_rental", 200000, 392100, 125400, 717500),
			row("utilities", 12500, 148700, 817780, 978980),
			row("communication", 7500, 44700, 43680, 95880),
			row("local_transport", 20000, 76110, 174230, 270340),
			row("venue", 0, 95430, 235520, 330950),
			row("publicity", 0, 205700, 119340, 325040),
			row("incidental", 0, 120000, 59700, 179700),
			row("other", 0, 46500, 226592, 273092),
		},
		StatedLevelTotals: map[string]int64{plans.NationalLevel: 390000_00, plans.ProvincialLevel: 2758540_00, plans.LocalLevel: 3110642_00},
		StatedTotal:       &total,
		Rates:             []plans.Rate{{Currency: "CNY", PerUSD: "6.302", On: "2012-06-30"}, {Currency: "CAD", PerUSD: "0.9812", On: "2012-06-30"}},
		StatedConverted:   map[string]int64{"USD": 993206_00, "CAD": 947533_00},
	}
}

// money writes hundredths with thousands separators: 94753300 → "947,533.00".
func money(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	whole := strconv.FormatInt(v/100, 10)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s%s.%02d", sign, b.String(), v%100)
}

// describeDifference says in a line what a stated figure of the table gets wrong.
func describeDifference(d plans.Difference) string {
	what := "total"
	switch d.Kind {
	case plans.DiffConverted:
		what = "total in " + d.Currency
	case plans.DiffSubtotal:
		what = d.Category + " subtotal"
	case plans.DiffLevelTotal:
		what = d.Level + " level total"
	}
	return fmt.Sprintf("%s stated %s, computed %s", what, money(d.Stated), money(d.Computed))
}

// cast is who does what in the demonstration's reports: the demo logins where there is one
// (the national officer, the Jiangsu and Anhui officers, the Helie Women's Home reporter), and
// otherwise an actor of the same role and scope, named in the audit log by what it stands for.
type cast struct {
	national  access.Actor
	offices   map[string]access.Actor // unit code → provincial officer
	reporters map[string]access.Actor // partner code → agency reporter
}

func (l *loader) cast(ctx context.Context) (*cast, error) {
	users, err := l.auth.Users(ctx, l.a)
	if err != nil {
		return nil, err
	}
	codeOf := map[int64]string{}
	for code, u := range l.units {
		codeOf[u.ID] = code
	}
	partnerOf := map[int64]string{}
	for code, p := range l.partners {
		partnerOf[p.ID] = code
	}
	c := &cast{offices: map[string]access.Actor{}, reporters: map[string]access.Actor{}}
	for _, u := range users {
		if !slices.ContainsFunc(demoUsers, func(d demoUser) bool { return d.username == u.Username && d.role == u.Role }) {
			continue // only the demo's own logins act in it
		}
		switch u.Role {
		case access.NationalOfficer:
			c.national = u.Actor()
		case access.ProvincialOfficer:
			c.offices[codeOf[u.UnitID]] = u.Actor()
		case access.AgencyReporter:
			c.reporters[partnerOf[u.PartnerID]] = u.Actor()
		}
	}
	if c.national.PublicID == "" {
		cn, err := l.unitOf("CN")
		if err != nil {
			return nil, err
		}
		c.national = access.Actor{PublicID: "demo:national-office", Username: "demo:national-office", Role: access.NationalOfficer, UnitID: cn.ID, UnitPath: cn.Path}
	}
	return c, nil
}

// office is the officer of a work plan's unit: the national office for national plans.
func (c *cast) office(l *loader, unit string) (access.Actor, error) {
	if unit == "CN" {
		return c.national, nil
	}
	if a, ok := c.offices[unit]; ok {
		return a, nil
	}
	u, err := l.unitOf(unit)
	if err != nil {
		return access.Actor{}, err
	}
	a := access.Actor{PublicID: "demo:office:" + unit, Username: "demo:office:" + unit, Role: access.ProvincialOfficer, UnitID: u.ID, UnitPath: u.Path}
	c.offices[unit] = a
	return a, nil
}

// reporter is the agency reporter of a partner.
func (c *cast) reporter(l *loader, partner string) (access.Actor, error) {
	if a, ok := c.reporters[partner]; ok {
		return a, nil
	}
	p, ok := l.partners[partner]
	if !ok {
		return access.Actor{}, fmt.Errorf("partner %s is not in the demo", partner)
	}
	a := access.Actor{PublicID: "demo:agency:" + partner, Username: "demo:agency:" + partner, Role: access.AgencyReporter, UnitID: p.UnitID,
		UnitPath: p.UnitPath, PartnerID: p.ID}
	c.reporters[partner] = a
	return a, nil
}

// plansAll loads the plans, reports, money and contributions, each only when missing. A report
// is moved on from where it stands: every save, submission and decision raises its version by
// one, so the steps already taken are its version less one, and a second Load takes none.
func (l *loader) plansAll(ctx context.Context) error {
	c, err := l.cast(ctx)
	if err != nil {
		return err
	}
	svc := plans.New(l.db)
	if err := l.provincialFrameworks(ctx, c); err != nil {
		return err
	}
	if err := l.workPlans(ctx, svc, c); err != nil {
		return err
	}
	have, err := svc.Interventions(ctx, l.a, 0)
	if err != nil {
		return err
	}
	byCode := map[string]plans.Intervention{}
	for _, iv := range have {
		byCode[iv.Code] = iv
	}
	for _, s := range interventions {
		if err := l.intervention(ctx, svc, c, s, byCode); err != nil {
			return fmt.Errorf("intervention %s: %w", s.code, err)
		}
	}
	if err := l.annexA(ctx, svc, c); err != nil {
		return fmt.Errorf("annex A: %w", err)
	}
	return nil
}

func (l *loader) provincialFrameworks(ctx context.Context, c *cast) error {
	svc := results.New(l.db)
	for _, pf := range provincialFrameworks {
		a, err := c.office(l, pf.unit)
		if err != nil {
			return err
		}
		u, err := l.unitOf(pf.unit)
		if err != nil {
			return err
		}
		fw, err := svc.Current(ctx, a, pf.code)
		if errors.Is(err, store.ErrNotFound) {
			fw, err = svc.CreateFramework(ctx, a, results.FrameworkInput{Code: pf.code, UnitID: u.ID, ParentCode: frameworkCode, NameZH: pf.zh, NameEN: pf.en})
		}
		if err != nil {
			return fmt.Errorf("framework %s: %w", pf.code, err)
		}
		if fw.Status == results.Draft {
			els, err := svc.Elements(ctx, a, fw.ID)
			if err != nil {
				return err
			}
			for _, e := range pf.elements {
				if slices.ContainsFunc(els, func(h results.Element) bool { return h.Code == e.Code }) {
					continue
				}
				if _, err := svc.AddElement(ctx, a, fw.ID, e); err != nil {
					return fmt.Errorf("framework %s element %s: %w", pf.code, e.Code, err)
				}
			}
			if _, err := svc.Approve(ctx, a, fw.ID); err != nil {
				return fmt.Errorf("approve framework %s: %w", pf.code, err)
			}
		}
		inds, err := svc.Indicators(ctx, a, pf.code)
		if err != nil {
			return err
		}
		for _, in := range pf.indicators {
			if slices.ContainsFunc(inds, func(i results.Indicator) bool { return i.Code == in.Code }) {
				continue
			}
			in.FrameworkCode = pf.code
			if _, err := svc.CreateIndicator(ctx, a, in); err != nil {
				return fmt.Errorf("indicator %s: %w", in.Code, err)
			}
		}
		for _, t := range pf.targets {
			ind, err := svc.IndicatorByCode(ctx, a, t.ind)
			if err != nil {
				return err
			}
			tu, err := l.unitOf(t.unit)
			if err != nil {
				return err
			}
			if v, _, err := svc.TargetAt(ctx, a, ind.ID, tu, results.LOP.Key); err != nil {
				return err
			} else if v != nil {
				continue
			}
			if err := svc.SetTarget(ctx, a, ind.ID, tu.ID, results.LOP.Key, t.value, t.note); err != nil {
				return fmt.Errorf("target %s: %w", t.ind, err)
			}
		}
	}
	return nil
}

// planYears are the years of Phase II up to the review; every pilot province and the national
// office has a work plan for each.
var planYears = []int{2010, 2011, 2012}

func (l *loader) workPlans(ctx context.Context, svc *plans.Service, c *cast) error {
	have, err := svc.WorkPlans(ctx, l.a)
	if err != nil {
		return err
	}
	exists := map[string]bool{}
	for _, w := range have {
		exists[w.UnitCode+"/"+strconv.Itoa(w.Year)] = true
	}
	units := []struct{ code, zh, en string }{{"CN", "国家项目办公室", "National project office"}}
	for _, p := range pilots {
		units = append(units, struct{ code, zh, en string }{p.code, p.short + "省", p.en + " provincial"})
	}
	for _, y := range planYears {
		for _, u := range units {
			if exists[u.code+"/"+strconv.Itoa(y)] {
				continue
			}
			a, err := c.office(l, u.code)
			if err != nil {
				return err
			}
			unit, err := l.unitOf(u.code)
			if err != nil {
				return err
			}
			if _, err := svc.CreateWorkPlan(ctx, a, plans.WorkPlanInput{UnitID: unit.ID, Year: y,
				TitleZH: fmt.Sprintf("%s%d年工作计划", u.zh, y), TitleEN: fmt.Sprintf("%s work plan %d", u.en, y)}); err != nil {
				return fmt.Errorf("work plan %s %d: %w", u.code, y, err)
			}
		}
	}
	return nil
}

// on makes day the service's today for the next move.
func on(svc *plans.Service, day string) { svc.SetToday(func() string { return day }) }

func (l *loader) intervention(ctx context.Context, svc *plans.Service, c *cast, s ivScript, have map[string]plans.Intervention) error {
	officer, err := c.office(l, s.unit)
	if err != nil {
		return err
	}
	agency, err := c.reporter(l, s.agency)
	if err != nil {
		return err
	}
	iv, ok := have[s.code]
	if ok {
		// The listing carries no budget lines; the reports' expenditure needs them.
		if iv, err = svc.Intervention(ctx, officer, iv.ID); err != nil {
			return err
		}
	} else {
		year, _ := strconv.Atoi(s.start[:4])
		wps, err := svc.WorkPlans(ctx, officer)
		if err != nil {
			return err
		}
		var planID int64
		for _, w := range wps {
			if w.UnitCode == s.unit && w.Year == year {
				planID = w.ID
			}
		}
		in, err := l.interventionPlan(s, planID)
		if err != nil {
			return err
		}
		if iv, err = svc.CreateIntervention(ctx, officer, in); err != nil {
			return err
		}
	}
	reports, err := svc.Reports(ctx, officer, iv.ID)
	if err != nil {
		return err
	}
	for _, rs := range s.reports {
		if rs.seq < 1 || rs.seq > len(reports) {
			return fmt.Errorf("report %d is not in the schedule of %d", rs.seq, len(reports))
		}
		if err := l.moveReport(ctx, svc, c, officer, agency, iv, reports[rs.seq-1], rs); err != nil {
			return fmt.Errorf("report %d: %w", rs.seq, err)
		}
	}
	return l.pay(ctx, svc, c, iv, s)
}

func (l *loader) interventionPlan(s ivScript, planID int64) (plans.InterventionPlan, error) {
	if planID == 0 {
		return plans.InterventionPlan{}, fmt.Errorf("no work plan of %s for %s", s.unit, s.start[:4])
	}
	p, ok := l.partners[s.agency]
	if !ok {
		return plans.InterventionPlan{}, fmt.Errorf("partner %s is not in the demo", s.agency)
	}
	in := plans.InterventionPlan{WorkPlanID: planID, Code: s.code, TitleZH: s.zh, TitleEN: s.en, AgencyID: p.ID, Indicators: s.indicators,
		Rules: plans.InterventionInput{Format: s.format, StartOn: s.start, EndOn: s.end, AdvanceShare: plans.DefaultAdvanceShare}}
	for _, code := range s.locations {
		u, err := l.unitOf(code)
		if err != nil {
			return in, err
		}
		in.Locations = append(in.Locations, u.ID)
	}
	for _, ln := range s.lines {
		in.Rules.Budget = append(in.Rules.Budget, plans.BudgetLine{Item: ln.item, Currency: "CNY", Amount: ln.yuan * 100})
	}
	return in, nil
}

// draft is what the agency writes for a report: the text, every budget line's share of spend,
// and the values.
func (l *loader) draft(iv plans.Intervention, rs repScript, text narrative) (plans.ReportDraft, error) {
	d := plans.ReportDraft{Progress: text.progress, Challenges: text.challenges, Lessons: text.lessons, Practices: text.practices,
		Expenditure: map[int64]int64{}}
	for i, id := range iv.LineIDs {
		d.Expenditure[id] = iv.Lines[i].Amount * int64(rs.spend) / 10000
	}
	for _, v := range rs.values {
		u, err := l.unitOf(v.unit)
		if err != nil {
			return d, err
		}
		d.Values = append(d.Values, plans.ReportValue{Indicator: v.ind, UnitID: u.ID, Value: v.value})
	}
	return d, nil
}

// moveReport takes the steps of a report's script that it has not taken yet. The days must
// follow one another and a report is not submitted before its period ends.
func (l *loader) moveReport(ctx context.Context, svc *plans.Service, c *cast, officer, agency access.Actor, iv plans.Intervention, r plans.Report, rs repScript) error {
	last := r.PeriodEnd
	for i, st := range rs.steps {
		if st.on != "" {
			if st.on < last {
				return fmt.Errorf("step %d (%s) on %s comes before %s", i+1, st.act, st.on, last)
			}
			last = st.on
		}
		if i < r.Version-1 {
			continue // taken by an earlier Load
		}
		var err error
		switch st.act {
		case "save", "fix":
			text := rs.text
			if st.act == "fix" && rs.fixed.progress != "" {
				text = rs.fixed
			}
			var d plans.ReportDraft
			if d, err = l.draft(iv, rs, text); err == nil {
				_, err = svc.SaveDraft(ctx, agency, r.ID, d)
			}
		case "submit":
			on(svc, st.on)
			_, err = svc.Submit(ctx, agency, r.ID, fmt.Sprintf("demo-%s-R%d-%d", iv.Code, r.Seq, i))
		case "review":
			on(svc, st.on)
			_, err = svc.Review(ctx, officer, r.ID, st.comment)
		case "return":
			on(svc, st.on)
			_, err = svc.Return(ctx, c.national, r.ID, st.comment)
		case "approve":
			on(svc, st.on)
			_, err = svc.Approve(ctx, c.national, r.ID, st.comment)
		default:
			err = fmt.Errorf("unknown step %q", st.act)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", st.act, err)
		}
	}
	return nil
}

// pay releases the advance and the tranches of the approved reports on the days the script
// gives, each once.
func (l *loader) pay(ctx context.Context, svc *plans.Service, c *cast, iv plans.Intervention, s ivScript) error {
	ts, err := svc.Tranches(ctx, c.national, iv.ID)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.ReleasedOn != "" {
			continue
		}
		day := s.advance
		if t.Kind != plans.AdvanceTranche {
			day = ""
			for _, rs := range s.reports {
				if rs.seq == t.ReportSeq {
					day = rs.paid
				}
			}
		}
		if day == "" {
			continue
		}
		on(svc, day)
		if _, err := svc.Release(ctx, c.national, t.ID, day, fmt.Sprintf("%s/T%d", iv.Code, t.Seq)); err != nil {
			return fmt.Errorf("release tranche %d: %w", t.Seq, err)
		}
	}
	return nil
}

// annexA imports Annex A for the whole programme at the national unit, unless its period is
// already recorded. What the table states wrongly is found by the import's own check and kept
// with the cells' source reference, so that the stored figures say where the printed ones err.
func (l *loader) annexA(ctx context.Context, svc *plans.Service, c *cast) error {
	cn, err := l.unitOf("CN")
	if err != nil {
		return err
	}
	t := annexA()
	sum, err := svc.Contributions(ctx, c.national, cn.ID, t.From, t.To)
	if err != nil {
		return err
	}
	if sum.Total != 0 {
		return nil
	}
	diffs, _, err := svc.ImportContributions(ctx, c.national, cn.ID, t, annexASource, true)
	if err != nil {
		return err
	}
	ref := annexASource
	if len(diffs) > 0 {
		var found []string
		for _, d := range diffs {
			found = append(found, describeDifference(d))
		}
		ref += "; Ting finds: " + strings.Join(found, "; ")
	}
	_, _, err = svc.ImportContributions(ctx, c.national, cn.ID, t, ref, false)
	return err
}
