package wxsim

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"

	qrcode "github.com/skip2/go-qrcode"
)

// code128Patterns are the bar/space module widths of Code 128 symbol values
// 0–105 (ISO/IEC 15417): bar first, six elements, eleven modules each.
var code128Patterns = [106]string{
	"212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
	"221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
	"221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
	"212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
	"231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
	"231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
	"314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
	"112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
	"111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
	"214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
	"114131", "311141", "411131", "211412", "211214", "211232",
}

const (
	code128StartC = 105
	code128Stop   = "2331112" // stop pattern with its final bar
	code128Quiet  = 10        // quiet zone, modules, each side
)

// code128C returns the module widths (bar, space, bar, …) of digits, an
// even number of ASCII digits, encoded in Code 128 set C with its check
// symbol. ok is false for any other input.
func code128C(digits string) (widths []int, ok bool) {
	if len(digits) == 0 || len(digits)%2 != 0 {
		return nil, false
	}
	values := []int{code128StartC}
	for i := 0; i < len(digits); i += 2 {
		a, b := digits[i]-'0', digits[i+1]-'0'
		if a > 9 || b > 9 {
			return nil, false
		}
		values = append(values, int(a)*10+int(b))
	}
	sum := values[0]
	for i, v := range values[1:] {
		sum += (i + 1) * v
	}
	values = append(values, sum%103)
	for _, v := range values {
		for _, c := range code128Patterns[v] {
			widths = append(widths, int(c-'0'))
		}
	}
	for _, c := range code128Stop {
		widths = append(widths, int(c-'0'))
	}
	return widths, true
}

// barcodeSVG draws digits as a Code 128 (set C) barcode, 2 px per module,
// with quiet zones, for a kiosk's scanner to read off the screen.
func barcodeSVG(digits string) template.HTML {
	widths, ok := code128C(digits)
	if !ok {
		return ""
	}
	const px, height = 2, 90
	total := code128Quiet * 2
	for _, w := range widths {
		total += w
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="Code 128 %s" shape-rendering="crispEdges">`,
		total*px, height, total*px, height, digits)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`, total*px, height)
	x := code128Quiet
	for i, w := range widths {
		if i%2 == 0 {
			fmt.Fprintf(&b, `<rect x="%d" width="%d" height="%d" fill="#000"/>`, x*px, w*px, height)
		}
		x += w
	}
	b.WriteString(`</svg>`)
	// Only digits and numbers were written: safe to embed as HTML.
	return template.HTML(b.String())
}

// qrDataURI renders text as a QR code PNG in a data: URI for an <img>.
func qrDataURI(text string) template.URL {
	png, err := qrcode.Encode(text, qrcode.Medium, 240)
	if err != nil {
		return ""
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
}
