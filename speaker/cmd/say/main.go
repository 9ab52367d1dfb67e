// Command say writes the kiosk's spoken payment announcement for an amount
// to a WAV file, or plays it on the sound device, for checking the voice
// without a kiosk:
//
//	go run ./speaker/cmd/say -amount 12.50 -o out.wav
//	go run ./speaker/cmd/say -amount 12.50 -lang en -play
//
// It prints the words read. -play needs a cgo build (ALSA on Linux).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"saoma/speaker"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "say:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("say", flag.ContinueOnError)
	amount := fs.String("amount", "", "amount in yuan, e.g. 12.50 (required)")
	lang := fs.String("lang", "zh", `language, "zh" or "en"`)
	out := fs.String("o", "", "write the announcement to this WAV file")
	play := fs.Bool("play", false, "play the announcement on the sound device")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fen, err := parseYuan(*amount)
	if err != nil {
		return err
	}
	if *out == "" && !*play {
		return errors.New("give -o FILE or -play")
	}
	l := speaker.LangOf(*lang)
	words := speaker.Words(fen)
	if l == speaker.English {
		words = speaker.EnglishWords(fen)
	}
	pcm, err := speaker.Render(fen, l)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s (%v)\n", words, speaker.Duration(pcm))
	if *out != "" {
		if err := writeFile(*out, pcm); err != nil {
			return err
		}
	}
	if *play {
		// OpenDevice directly, not an Announcer, so that a missing device
		// is reported here instead of silenced.
		p, err := speaker.OpenDevice(context.Background())
		if err != nil {
			return err
		}
		return p.Play(context.Background(), pcm)
	}
	return nil
}

func writeFile(path string, pcm []int16) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := speaker.WriteWAV(f, pcm); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// parseYuan reads "12", "12.5" or "12.50" (an optional leading minus, at
// most two decimals) as fen, without going through floating point.
func parseYuan(s string) (int64, error) {
	bad := fmt.Errorf("amount %q: want yuan like 12.50", s)
	neg := strings.HasPrefix(s, "-")
	whole, frac, dot := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if whole == "" || (dot && (frac == "" || len(frac) > 2)) || strings.ContainsAny(whole+frac, "+-") {
		return 0, bad
	}
	frac += strings.Repeat("0", 2-len(frac))
	fen, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, bad
	}
	if neg {
		fen = -fen
	}
	return fen, nil
}
