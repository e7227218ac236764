package web

import (
	"slices"
	"strconv"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"ting/internal/org"
)

// sortUnits orders units by name in the reader's language: pinyin order for Chinese.
func sortUnits(us []org.Unit, lang string) {
	tag := language.English
	if lang == "zh" {
		tag = language.Chinese
	}
	c := collate.New(tag)
	slices.SortStableFunc(us, func(a, b org.Unit) int { return c.CompareString(a.Name(lang), b.Name(lang)) })
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
