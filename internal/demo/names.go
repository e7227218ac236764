package demo

import (
	"hash/fnv"
	"strconv"
)

// The people of the demo (committee members, provincial staff) are not the real officials:
// their names are drawn from common surnames and given names by a hash of their place in the
// programme ("JS/psc/5"), so every Load produces the same person for the same seat and the
// second Load finds the records the first one made.
var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")

var givenNames = []string{
	"建国", "志强", "海燕", "丽华", "秀英", "晓明", "文军", "红梅", "国庆", "春燕", "立新", "玉兰", "建华", "卫东", "桂芳",
	"明辉", "雪梅", "永红", "俊杰", "静", "敏", "伟", "芳", "磊", "丽", "军", "洁", "勇", "艳", "涛", "颖", "斌", "琳",
	"晓燕", "志刚", "桂英", "德明", "淑华", "振华", "慧", "宏伟", "秀兰", "新民", "亚萍", "国华", "小红", "丽娟", "文华",
	"建平", "美玲", "海涛", "晓峰", "凤英", "光明", "翠华", "家豪", "玉梅", "春华", "德华", "婷", "晓丽", "学军", "素珍",
	"长青", "晓东", "红霞", "国强", "丽萍", "云", "爱华", "永刚", "金凤", "庆华", "少华", "文静", "志华", "月华", "向阳",
	"瑞", "冬梅", "继红", "宏", "彩霞", "树林", "秋菊", "建军", "晓玲", "荣", "玉珍", "成林", "晓红", "卫国", "丹",
}

type namer struct{ used map[string]bool }

func newNamer() *namer { return &namer{used: map[string]bool{}} }

// name returns the person for a seat. A name already given to another seat is skipped, so
// that nobody appears in two places they do not hold.
func (n *namer) name(seat string) string {
	for try := 0; ; try++ {
		key := seat
		if try > 0 {
			key += "#" + strconv.Itoa(try)
		}
		v := hash(key)
		name := string(surnames[v%uint64(len(surnames))]) + givenNames[(v>>24)%uint64(len(givenNames))]
		if !n.used[name] {
			n.used[name] = true
			return name
		}
	}
}

// hash spreads the demo's deterministic choices (names, who misses a meeting).
func hash(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()
}
