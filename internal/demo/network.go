package demo

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"strings"

	"ting/internal/org"
)

// opened is the Phase II launch (seed 001 §1.3: January 2010); the whole network dates from it.
const opened = "2010-01-01"

// place is a unit of the network. Its level and parent follow from the code: "CN" is the
// country, one segment a province, then city, county or district, and community or township.
type place struct {
	code, zh, en string
	tags         []string
}

func (p place) level() org.Level {
	if p.code == "CN" {
		return org.National
	}
	return org.Level(strings.Count(p.code, "-") + 2)
}

func (p place) parent() string {
	i := strings.LastIndex(p.code, "-")
	if i < 0 {
		return "CN"
	}
	return p.code[:i]
}

// network lists the units parents first. The pilot provinces are those of seed 001 §1.3;
// Sichuan and Guangdong keep a light involvement (§5.2 "Scale"). Cities and counties named by
// the seeds: Hefei, Kunming, Ningyuan County under Yongzhou, Nanjing, Wuxi, Changzhou, Chengdu,
// Foshan and Shenzhen; the others are real places of the pilot provinces with real townships
// and subdistricts.
var network = []place{
	{code: "CN", zh: "全国", en: "National"},

	{code: "AH", zh: "安徽省", en: "Anhui", tags: []string{"pilot", "sending"}},
	{code: "YN", zh: "云南省", en: "Yunnan", tags: []string{"pilot", "sending"}},
	{code: "GZ", zh: "贵州省", en: "Guizhou", tags: []string{"pilot", "sending"}},
	{code: "HN", zh: "湖南省", en: "Hunan", tags: []string{"pilot", "sending"}},
	{code: "JS", zh: "江苏省", en: "Jiangsu", tags: []string{"pilot", "receiving"}},
	{code: "FJ", zh: "福建省", en: "Fujian", tags: []string{"pilot", "receiving"}},
	{code: "SC", zh: "四川省", en: "Sichuan", tags: []string{"light", "sending"}},
	{code: "GD", zh: "广东省", en: "Guangdong", tags: []string{"light", "receiving"}},

	{code: "AH-HF", zh: "合肥市", en: "Hefei"},
	{code: "AH-HF-YH", zh: "瑶海区", en: "Yaohai District"},
	{code: "AH-HF-YH-01", zh: "三里街街道", en: "Sanlijie Subdistrict"},
	{code: "AH-HF-YH-02", zh: "明光路街道", en: "Mingguanglu Subdistrict"},
	{code: "AH-HF-FD", zh: "肥东县", en: "Feidong County"},
	{code: "AH-HF-FD-01", zh: "店埠镇", en: "Dianbu Town"},
	{code: "AH-HF-FD-02", zh: "撮镇镇", en: "Cuozhen Town"},
	{code: "AH-HF-FD-03", zh: "梁园镇", en: "Liangyuan Town"},
	{code: "AH-CH", zh: "巢湖市", en: "Chaohu City"},
	{code: "AH-CH-LJ", zh: "庐江县", en: "Lujiang County"},
	{code: "AH-CH-LJ-01", zh: "庐城镇", en: "Lucheng Town"},
	{code: "AH-CH-LJ-02", zh: "汤池镇", en: "Tangchi Town"},

	{code: "YN-KM", zh: "昆明市", en: "Kunming"},
	{code: "YN-KM-GD", zh: "官渡区", en: "Guandu District"},
	{code: "YN-KM-GD-01", zh: "关上街道", en: "Guanshang Subdistrict"},
	{code: "YN-KM-GD-02", zh: "小板桥街道", en: "Xiaobanqiao Subdistrict"},
	{code: "YN-KM-XS", zh: "西山区", en: "Xishan District"},
	{code: "YN-KM-XS-01", zh: "前卫街道", en: "Qianwei Subdistrict"},
	{code: "YN-KM-XS-02", zh: "马街街道", en: "Majie Subdistrict"},
	{code: "YN-BN", zh: "西双版纳傣族自治州", en: "Xishuangbanna Dai Autonomous Prefecture"},
	{code: "YN-BN-MH", zh: "勐海县", en: "Menghai County"},
	{code: "YN-BN-MH-01", zh: "勐海镇", en: "Menghai Town"},
	{code: "YN-BN-MH-02", zh: "勐遮镇", en: "Mengzhe Town"},
	{code: "YN-BN-MH-03", zh: "打洛镇", en: "Daluo Town"},

	{code: "GZ-GY", zh: "贵阳市", en: "Guiyang"},
	{code: "GZ-GY-NM", zh: "南明区", en: "Nanming District"},
	{code: "GZ-GY-NM-01", zh: "油榨街街道", en: "Youzhajie Subdistrict"},
	{code: "GZ-GY-NM-02", zh: "遵义路街道", en: "Zunyilu Subdistrict"},
	{code: "GZ-BJ", zh: bijieBefore.zh, en: bijieBefore.en},
	{code: "GZ-BJ-ZJ", zh: "织金县", en: "Zhijin County"},
	{code: "GZ-BJ-ZJ-01", zh: "城关镇", en: "Chengguan Town"},
	{code: "GZ-BJ-ZJ-02", zh: "猫场镇", en: "Maochang Town"},
	{code: "GZ-BJ-ZJ-03", zh: "珠藏镇", en: "Zhuzang Town"},

	{code: "HN-CS", zh: "长沙市", en: "Changsha"},
	{code: "HN-CS-FR", zh: "芙蓉区", en: "Furong District"},
	{code: "HN-CS-FR-01", zh: "五里牌街道", en: "Wulipai Subdistrict"},
	{code: "HN-CS-FR-02", zh: "定王台街道", en: "Dingwangtai Subdistrict"},
	{code: "HN-YZ", zh: "永州市", en: "Yongzhou"},
	{code: "HN-YZ-NY", zh: "宁远县", en: "Ningyuan County"},
	{code: "HN-YZ-NY-01", zh: "舜陵镇", en: "Shunling Town"},
	{code: "HN-YZ-NY-02", zh: "天堂镇", en: "Tiantang Town"},
	{code: "HN-YZ-NY-03", zh: "湾井镇", en: "Wanjing Town"},

	{code: "JS-NJ", zh: "南京市", en: "Nanjing"},
	{code: "JS-NJ-GL", zh: "鼓楼区", en: "Gulou District"},
	{code: "JS-NJ-GL-01", zh: "宁海路街道", en: "Ninghailu Subdistrict"},
	{code: "JS-NJ-GL-02", zh: "湖南路街道", en: "Hunanlu Subdistrict"},
	{code: "JS-WX", zh: "无锡市", en: "Wuxi"},
	{code: "JS-WX-BH", zh: "滨湖区", en: "Binhu District"},
	{code: "JS-WX-BH-01", zh: "河埒街道", en: "Helie Subdistrict"},
	{code: "JS-WX-BH-02", zh: "荣巷街道", en: "Rongxiang Subdistrict"},
	{code: "JS-WX-HS", zh: "惠山区", en: "Huishan District"},
	{code: "JS-WX-HS-01", zh: "堰桥街道", en: "Yanqiao Subdistrict"},
	{code: "JS-WX-HS-02", zh: "长安街道", en: "Chang'an Subdistrict"},
	{code: "JS-CZ", zh: "常州市", en: "Changzhou"},
	{code: "JS-CZ-WJ", zh: "武进区", en: "Wujin District"},
	{code: "JS-CZ-WJ-01", zh: "湖塘镇", en: "Hutang Town"},
	{code: "JS-CZ-WJ-02", zh: "牛塘镇", en: "Niutang Town"},

	{code: "FJ-FZ", zh: "福州市", en: "Fuzhou"},
	{code: "FJ-FZ-CS", zh: "仓山区", en: "Cangshan District"},
	{code: "FJ-FZ-CS-01", zh: "城门镇", en: "Chengmen Town"},
	{code: "FJ-FZ-CS-02", zh: "盖山镇", en: "Gaishan Town"},
	{code: "FJ-QZ", zh: "泉州市", en: "Quanzhou"},
	{code: "FJ-QZ-JJ", zh: "晋江市", en: "Jinjiang City"},
	{code: "FJ-QZ-JJ-01", zh: "陈埭镇", en: "Chendai Town"},
	{code: "FJ-QZ-JJ-02", zh: "安海镇", en: "Anhai Town"},
	{code: "FJ-XM", zh: "厦门市", en: "Xiamen"},
	{code: "FJ-XM-HL", zh: "湖里区", en: "Huli District"},
	{code: "FJ-XM-HL-01", zh: "殿前街道", en: "Dianqian Subdistrict"},
	{code: "FJ-XM-HL-02", zh: "禾山街道", en: "Heshan Subdistrict"},

	{code: "SC-CD", zh: "成都市", en: "Chengdu"},

	{code: "GD-FS", zh: "佛山市", en: "Foshan"},
	{code: "GD-FS-NH", zh: "南海区", en: "Nanhai District"},
	{code: "GD-FS-NH-01", zh: "桂城街道", en: "Guicheng Subdistrict"},
	{code: "GD-FS-NH-02", zh: "大沥镇", en: "Dali Town"},
	{code: "GD-SZ", zh: "深圳市", en: "Shenzhen"},
}

// The network's history during Phase II, real changes of 2011 that the "as of" views show:
// the State Council abolished prefecture-level Chaohu, whose Lujiang County passed to Hefei
// (announced 22 August 2011); Bijie Prefecture became the prefecture-level Bijie City
// (approved in October, inaugurated 10 November 2011).
const (
	chaohuAbolished = "2011-08-22"
	bijieBecameCity = "2011-11-10"
)

var (
	bijieBefore = struct{ zh, en string }{"毕节地区", "Bijie Prefecture"}
	bijieAfter  = struct{ zh, en string }{"毕节市", "Bijie City"}
)

// network creates the missing units in one transaction: a fresh database then costs one
// commit for the whole network instead of one per unit.
func (l *loader) network(ctx context.Context) error {
	var created map[string]org.Unit
	err := l.db.Tx(ctx, func(tx *sql.Tx) error {
		created = map[string]org.Unit{} // afresh if the transaction is retried
		for _, p := range network {
			if _, ok := l.units[p.code]; ok {
				continue
			}
			var parentID int64
			if p.level() != org.National {
				parent, ok := created[p.parent()]
				if !ok {
					var err error
					if parent, err = l.unitOf(p.parent()); err != nil {
						return fmt.Errorf("unit %s: %w", p.code, err)
					}
				}
				parentID = parent.ID
			}
			u, err := l.org.CreateUnitTx(ctx, tx, l.a, org.UnitInput{Code: p.code, Level: p.level(), ParentID: parentID,
				NameZH: p.zh, NameEN: p.en, Tags: p.tags, Effective: opened})
			if err != nil {
				return fmt.Errorf("unit %s: %w", p.code, err)
			}
			created[p.code] = u
		}
		return nil
	})
	if err != nil {
		return err
	}
	maps.Copy(l.units, created)
	return nil
}

// history applies the 2011 changes once: each is skipped when the unit already shows it.
func (l *loader) history(ctx context.Context) error {
	hefei, err := l.unitOf("AH-HF")
	if err != nil {
		return err
	}
	chaohu, err := l.unitOf("AH-CH")
	if err != nil {
		return err
	}
	lujiang, err := l.unitOf("AH-CH-LJ")
	if err != nil {
		return err
	}
	if lujiang.ParentID == chaohu.ID {
		if lujiang, err = l.org.MoveUnit(ctx, l.a, lujiang.ID, hefei.ID, chaohuAbolished); err != nil {
			return fmt.Errorf("move Lujiang County to Hefei: %w", err)
		}
		l.units[lujiang.Code] = lujiang
	}
	if !chaohu.Closed() {
		if chaohu, err = l.org.CloseUnit(ctx, l.a, chaohu.ID, chaohuAbolished); err != nil {
			return fmt.Errorf("close Chaohu City: %w", err)
		}
		l.units[chaohu.Code] = chaohu
	}
	bijie, err := l.unitOf("GZ-BJ")
	if err != nil {
		return err
	}
	if bijie.NameZH == bijieBefore.zh {
		bijie, err = l.org.UpdateUnit(ctx, l.a, bijie.ID, org.UnitInput{Code: bijie.Code, NameZH: bijieAfter.zh, NameEN: bijieAfter.en,
			Tags: bijie.Tags, Effective: bijieBecameCity})
		if err != nil {
			return fmt.Errorf("rename Bijie Prefecture: %w", err)
		}
		l.units[bijie.Code] = bijie
	}
	return nil
}
