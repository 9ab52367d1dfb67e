package speaker

import (
	"bytes"
	"errors"
	"io/fs"
	"slices"
	"testing"
	"time"
)

func TestClips(t *testing.T) {
	tests := []struct {
		name string
		fen  int64
		lang Lang
		want []string
	}{
		{"twelve and a half yuan in Chinese", 1250, Chinese, []string{"微信收款", "十", "二", "点", "五", "元"}},
		{"zero inside a number in Chinese", 100305, Chinese, []string{"微信收款", "一", "千", "零", "三", "点", "零", "五", "元"}},
		{"two yuan in Chinese is 两", 200, Chinese, []string{"微信收款", "两", "元"}},
		{"twelve and a half yuan in English", 1250, English, []string{"WeChat Pay received", "twelve", "point", "five", "yuan"}},
		{"twenty-two yuan in English is two clips", 2200, English, []string{"WeChat Pay received", "twenty", "two", "yuan"}},
		{"an unknown language has no clips", 1250, Lang("fr"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clips(tt.fen, tt.lang); !slices.Equal(got, tt.want) {
				t.Errorf("Clips(%d, %q) = %q, want %q", tt.fen, tt.lang, got, tt.want)
			}
		})
	}
}

// everyClip lists every clip name the readings can produce in lang.
func everyClip(lang Lang) []string {
	var names []string
	add := func(ns []string) {
		for _, n := range ns {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	for yuan := range int64(100) { // every unit, teen and ten
		add(Clips(yuan*100, lang))
	}
	for _, fen := range []int64{-1, 12345, 2000000, 100000000000, 100000000000000, 1234567890123} {
		add(Clips(fen, lang))
	}
	return names
}

func TestEveryClipIsEmbeddedAt16kHz(t *testing.T) {
	used := map[string]bool{}
	for _, lang := range []Lang{Chinese, English} {
		names := everyClip(lang)
		for _, name := range names {
			pcm, err := clip(lang, name)
			if err != nil {
				t.Errorf("clip(%q, %q): %v", lang, name, err)
				continue
			}
			if d := Duration(pcm); d < 100*time.Millisecond || d > 2*time.Second {
				t.Errorf("clip(%q, %q) lasts %v, want a trimmed word", lang, name, d)
			}
			path, _ := clipPath(lang, name)
			used[path] = true
		}
	}
	if got, want := len(everyClip(Chinese)), 20; got != want {
		t.Errorf("Chinese readings use %d clips, want %d", got, want)
	}
	var total int
	err := fs.WalkDir(clipFS, "clips", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += int(info.Size())
		if !used[path] {
			t.Errorf("%s is embedded but no reading uses it", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total >= 600<<10 {
		t.Errorf("clips take %d bytes, want under 600 KB", total)
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name     string
		fen      int64
		lang     Lang
		min, max time.Duration
	}{
		{"twelve and a half yuan in Chinese", 1250, Chinese, 2 * time.Second, 4 * time.Second},
		{"a long amount in Chinese", 100305, Chinese, 3 * time.Second, 6 * time.Second},
		{"twelve and a half yuan in English", 1250, English, 1500 * time.Millisecond, 4 * time.Second},
		{"one fen in English", 1, English, 2 * time.Second, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pcm, err := Render(tt.fen, tt.lang)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteWAV(&buf, pcm); err != nil {
				t.Fatal(err)
			}
			got, rate, err := decodeWAV(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if rate != SampleRate || !slices.Equal(got, pcm) {
				t.Fatalf("WAV round trip: %d Hz, %d samples; want %d Hz, %d samples", rate, len(got), SampleRate, len(pcm))
			}

			// The clips, a prefix gap and a word gap between the others.
			names := Clips(tt.fen, tt.lang)
			want := samples(PrefixGap) + (len(names)-2)*samples(WordGap)
			for _, name := range names {
				c, err := clip(tt.lang, name)
				if err != nil {
					t.Fatal(err)
				}
				want += len(c)
			}
			if len(got) != want {
				t.Errorf("rendered %d samples, want %d", len(got), want)
			}
			if d := Duration(got); d < tt.min || d > tt.max {
				t.Errorf("announcement lasts %v, want %v to %v", d, tt.min, tt.max)
			}
			if peak(got) < 8000 {
				t.Errorf("peak %d: the announcement is near silence", peak(got))
			}
		})
	}
}

func TestRenderRejectsAnUnknownLanguage(t *testing.T) {
	if _, err := Render(100, Lang("fr")); !errors.Is(err, ErrUnknownLang) {
		t.Errorf("Render(100, fr) error = %v, want ErrUnknownLang", err)
	}
}

func TestDecodeWAVRejectsWhatItCannotPlay(t *testing.T) {
	var good bytes.Buffer
	if err := WriteWAV(&good, []int16{1, -1, 300}); err != nil {
		t.Fatal(err)
	}
	stereo := bytes.Clone(good.Bytes())
	stereo[22] = 2
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"not RIFF", []byte("RIFX\x00\x00\x00\x00WAVE")},
		{"stereo", stereo},
		{"truncated data", good.Bytes()[:len(good.Bytes())-2]},
		{"no data chunk", good.Bytes()[:36]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := decodeWAV(tt.b); !errors.Is(err, errBadWAV) {
				t.Errorf("decodeWAV error = %v, want errBadWAV", err)
			}
		})
	}
}

func peak(pcm []int16) int {
	var p int
	for _, s := range pcm {
		p = max(p, abs(int(s)))
	}
	return p
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func FuzzDecodeWAV(f *testing.F) {
	var b bytes.Buffer
	if err := WriteWAV(&b, []int16{0, 1, -2}); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		pcm, _, err := decodeWAV(b)
		if err == nil && 2*len(pcm) > len(b) {
			t.Errorf("%d samples from %d bytes", len(pcm), len(b))
		}
	})
}
