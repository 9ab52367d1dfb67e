package speaker

import (
	"math"
	"testing"
)

func TestWords(t *testing.T) {
	tests := []struct {
		name string
		fen  int64
		want string
	}{
		{"jiao after the point", 1250, "十二点五元"},
		{"zero inside thousands and zero jiao are both read", 100305, "一千零三点零五元"},
		{"ten yuan starts with 十 without 一", 1000, "十元"},
		{"leading two before 万 is 两", 2000000, "两万元"},
		{"one fen is zero point zero one", 1, "零点零一元"},
		{"ten fen drops the trailing zero", 10, "零点一元"},
		{"two yuan on its own is 两", 200, "两元"},
		{"two and a half yuan is 二点五", 250, "二点五元"},
		{"eleven yuan", 1100, "十一元"},
		{"一十 inside a number keeps its 一", 11000, "一百一十元"},
		{"one hundred million", 100000000 * 100, "一亿元"},
		{"one hundred point one", 10010, "一百点一元"},
		{"zero between hundreds and units before 万", 101000000, "一百零一万元"},
		{"zero across the 万 section and 一十", 1001000, "一万零一十元"},
		{"two inside a number is 二 and a leading one before 千 is 两", 2200000000, "两千二百万元"},
		{"twenty-two is 二十二", 2200, "二十二元"},
		{"two hundred is 两百", 20000, "两百元"},
		{"two thousand two hundred and twenty-two", 222200, "两千二百二十二元"},
		{"twelve 万 after 十 is 二", 12000000, "十二万元"},
		{"zero yuan", 0, "零元"},
		{"several zeros read as one", 10000100, "十万零一元"},
		{"zero across an empty 万 section", 10000000100, "一亿零一元"},
		{"亿 followed by thousands of 万", 11000000000, "一亿一千万元"},
		{"亿 followed by hundreds of 万 needs a zero", 10100000000, "一亿零一百万元"},
		{"亿 followed by a thousand needs a zero", 10000100000, "一亿零一千元"},
		{"一十万 after a zero", 10010000000, "一亿零一十万元"},
		{"万亿 for a trillion", 100000000000000, "一万亿元"},
		{"a zero between 万 and 亿", 100010000000000, "一万零一亿元"},
		{"inner 万 section of all digits", 123456789012, "十二亿三千四百五十六万七千八百九十点一二元"},
		{"negative amounts start with 负", -1250, "负十二点五元"},
		{"the largest amount nests 亿 inside 亿", math.MaxInt64, "九亿二千二百三十三万七千二百零三亿六千八百五十四万七千七百五十八点零七元"},
		{"the smallest amount", math.MinInt64, "负九亿二千二百三十三万七千二百零三亿六千八百五十四万七千七百五十八点零八元"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Words(tt.fen); got != tt.want {
				t.Errorf("Words(%d) = %q, want %q", tt.fen, got, tt.want)
			}
		})
	}
}

func TestEnglishWords(t *testing.T) {
	tests := []struct {
		name string
		fen  int64
		want string
	}{
		{"jiao after the point", 1250, "twelve point five yuan"},
		{"zero fen digit is read", 100305, "one thousand three point zero five yuan"},
		{"whole yuan have no point", 1000, "ten yuan"},
		{"one fen", 1, "zero point zero one yuan"},
		{"ten fen drops the trailing zero", 10, "zero point one yuan"},
		{"tens and units are hyphenated", 2200, "twenty-two yuan"},
		{"teens are one word", 1700, "seventeen yuan"},
		{"hundreds without and", 12345, "one hundred twenty-three point four five yuan"},
		{"twenty thousand", 2000000, "twenty thousand yuan"},
		{"millions and thousands", 123456700, "one million two hundred thirty-four thousand five hundred sixty-seven yuan"},
		{"a hundred million", 100000000 * 100, "one hundred million yuan"},
		{"billions", 200000000000, "two billion yuan"},
		{"beyond a billion billions are counted", 100000000000000, "one thousand billion yuan"},
		{"zero yuan", 0, "zero yuan"},
		{"negative amounts start with minus", -99, "minus zero point nine nine yuan"},
		{"the smallest amount", math.MinInt64, "minus ninety-two million two hundred thirty-three thousand seven hundred twenty billion three hundred sixty-eight million five hundred forty-seven thousand seven hundred fifty-eight point zero eight yuan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EnglishWords(tt.fen); got != tt.want {
				t.Errorf("EnglishWords(%d) = %q, want %q", tt.fen, got, tt.want)
			}
		})
	}
}

func TestLangOf(t *testing.T) {
	tests := []struct {
		locale string
		want   Lang
	}{
		{"en", English}, {"en-US", English}, {"en_GB", English},
		{"zh", Chinese}, {"", Chinese}, {"zh-CN", Chinese}, {"english", Chinese},
	}
	for _, tt := range tests {
		t.Run(tt.locale, func(t *testing.T) {
			if got := LangOf(tt.locale); got != tt.want {
				t.Errorf("LangOf(%q) = %q, want %q", tt.locale, got, tt.want)
			}
		})
	}
}
