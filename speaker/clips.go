package speaker

import (
	"embed"
	"errors"
	"fmt"
	"time"
)

// clipFS holds the voice clips made by scripts/voice-clips.sh; read-only,
// so it is package state only in name.
//
//go:embed clips/zh/*.wav clips/en/*.wav
var clipFS embed.FS

// Clip names that start each announcement.
const (
	zhPrefix = "微信收款"
	enPrefix = "WeChat Pay received"
)

// zhClipFiles maps a Chinese clip name to its file under clips/zh.
var zhClipFiles = map[string]string{
	zhPrefix: "weixin-shoukuan",
	"负":      "fu4", "零": "ling2", "一": "yi1", "二": "er4", "两": "liang3",
	"三": "san1", "四": "si4", "五": "wu3", "六": "liu4", "七": "qi1",
	"八": "ba1", "九": "jiu3", "十": "shi2", "百": "bai3", "千": "qian1",
	"万": "wan4", "亿": "yi4", "点": "dian3", "元": "yuan2",
}

// SampleRate is the sample rate of the clips and of everything Render
// produces (mono, 16-bit).
const SampleRate = 16000

// Gaps of silence Render puts between clips: a short one between words and
// a longer one after the "微信收款" / "WeChat Pay received" prefix.
const (
	WordGap   = 40 * time.Millisecond
	PrefixGap = 150 * time.Millisecond
)

// ErrUnknownLang is returned by Render when the language has no clips.
var ErrUnknownLang = errors.New("speaker: unknown language")

// Clips returns the names of the clips that announce fen in lang, in
// order, starting with the prefix: Clips(1250, Chinese) is
// ["微信收款" "十" "二" "点" "五" "元"] and Clips(1250, English) is
// ["WeChat Pay received" "twelve" "point" "five" "yuan"]. It returns nil for
// an unknown language.
func Clips(fen int64, lang Lang) []string {
	switch lang {
	case Chinese:
		return append([]string{zhPrefix}, zhTokens(fen)...)
	case English:
		return append([]string{enPrefix}, enTokens(fen)...)
	}
	return nil
}

// clipPath is the embedded file that speaks the clip name in lang.
func clipPath(lang Lang, name string) (string, bool) {
	switch lang {
	case Chinese:
		f, ok := zhClipFiles[name]
		return "clips/zh/" + f + ".wav", ok
	case English:
		if name == enPrefix {
			return "clips/en/wechat-pay-received.wav", true
		}
		return "clips/en/" + name + ".wav", true
	}
	return "", false
}

// clip decodes one embedded clip.
func clip(lang Lang, name string) ([]int16, error) {
	path, ok := clipPath(lang, name)
	if !ok {
		return nil, fmt.Errorf("speaker: no %s clip for %q", lang, name)
	}
	b, err := clipFS.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("speaker: clip %q: %w", name, err)
	}
	pcm, rate, err := decodeWAV(b)
	if err != nil {
		return nil, fmt.Errorf("speaker: clip %s: %w", path, err)
	}
	if rate != SampleRate {
		return nil, fmt.Errorf("speaker: clip %s is %d Hz, want %d", path, rate, SampleRate)
	}
	return pcm, nil
}

// Render returns the announcement of fen in lang as 16 kHz mono PCM: the
// clips of Clips joined by WordGap, with PrefixGap after the prefix. It
// fails only for an unknown language (ErrUnknownLang) or a broken build
// (a clip missing from the binary).
func Render(fen int64, lang Lang) ([]int16, error) {
	names := Clips(fen, lang)
	if names == nil {
		return nil, fmt.Errorf("render %q: %w", lang, ErrUnknownLang)
	}
	var pcm []int16
	for i, name := range names {
		c, err := clip(lang, name)
		if err != nil {
			return nil, err
		}
		switch {
		case i == 1:
			pcm = append(pcm, make([]int16, samples(PrefixGap))...)
		case i > 1:
			pcm = append(pcm, make([]int16, samples(WordGap))...)
		}
		pcm = append(pcm, c...)
	}
	return pcm, nil
}

// samples is the number of samples that last d at SampleRate.
func samples(d time.Duration) int {
	return int(d * SampleRate / time.Second)
}

// Duration is how long pcm at SampleRate plays.
func Duration(pcm []int16) time.Duration {
	return time.Duration(len(pcm)) * time.Second / SampleRate
}
