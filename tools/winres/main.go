// Command winres writes the Windows resource object (.syso) the kiosk's
// .exe is linked with: the app icon, the version information Explorer
// shows under Properties → Details, and the manifest (Windows 10,
// per-monitor DPI, UTF-8 code page).
//
//	winres -icon Icon.png -manifest saoma.exe.manifest -version v1.2.3 -o rsrc_windows_amd64.syso
//
// It does what `fyne package -os windows` does, which cannot be used here:
// that tool drops -ldflags (and so -X main.version) when it relinks the
// .exe with its resources.
package main

import (
	"flag"
	"fmt"
	"image"
	_ "image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/fyne-io/image/ico"
	"github.com/josephspurrier/goversioninfo"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "winres:", err)
		os.Exit(1)
	}
}

func run() error {
	icon := flag.String("icon", "Icon.png", "app icon (PNG)")
	manifest := flag.String("manifest", "", "application manifest")
	version := flag.String("version", "", "version, e.g. v1.2.3 or git describe's output")
	out := flag.String("o", "rsrc_windows_amd64.syso", "the .syso to write")
	arch := flag.String("arch", "amd64", "GOARCH of the .exe")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "winres")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	icoPath := filepath.Join(tmp, "app.ico")
	if err := writeIco(*icon, icoPath); err != nil {
		return err
	}
	vi := &goversioninfo.VersionInfo{}
	vi.IconPath = icoPath
	vi.ManifestPath = *manifest
	vi.StringFileInfo.ProductName = "Saoma"
	vi.StringFileInfo.FileDescription = "Saoma WeChat Pay kiosk"
	vi.StringFileInfo.OriginalFilename = "Saoma.exe"
	vi.StringFileInfo.ProductVersion = *version
	vi.StringFileInfo.FileVersion = *version
	vi.FixedFileInfo.FileVersion = numeric(*version)
	vi.FixedFileInfo.ProductVersion = numeric(*version)
	vi.Build()
	vi.Walk()
	return vi.WriteSyso(*out, *arch)
}

// writeIco converts the PNG icon to a Windows .ico.
func writeIco(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	img, _, err := image.Decode(in)
	if err != nil {
		return fmt.Errorf("decode %s: %w", src, err)
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if err := ico.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var numericRe = regexp.MustCompile(`^v(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-(\d+)-g)?`)

// numeric turns v1.2.3 (or v1.2.3-4-gabcdef, 4 commits after) into
// 1.2.3.4 for the fixed version fields; 0.0.0.0 without a v-tag.
func numeric(v string) goversioninfo.FileVersion {
	var fv goversioninfo.FileVersion
	m := numericRe.FindStringSubmatch(v)
	if m == nil {
		return fv
	}
	for i, dst := range []*int{&fv.Major, &fv.Minor, &fv.Patch, &fv.Build} {
		*dst, _ = strconv.Atoi(m[i+1])
	}
	return fv
}
