package ui

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"saoma/app"
)

// The kiosk's own small widgets: the tap area, the QR and the bar chart.

// tapArea runs a function when its content is tapped.
type tapArea struct {
	widget.BaseWidget
	content fyne.CanvasObject
	onTap   func()
}

func newTapArea(content fyne.CanvasObject, onTap func()) *tapArea {
	t := &tapArea{content: content, onTap: onTap}
	t.ExtendBaseWidget(t)
	return t
}

// Tapped runs the area's function.
func (t *tapArea) Tapped(*fyne.PointEvent) { t.onTap() }

// CreateRenderer shows the content.
func (t *tapArea) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(t.content) }

// qrView draws a QR code at the size it is given, with whole pixels per
// module on a white quiet zone — never a scaled bitmap.
type qrView struct {
	widget.BaseWidget
	raster  *canvas.Raster
	content string
	grey    bool
	cache   image.Image
	cacheW  int
	cacheK  string
}

func newQRView() *qrView {
	v := &qrView{}
	v.raster = canvas.NewRaster(v.draw)
	v.raster.ScaleMode = canvas.ImageScalePixels
	v.ExtendBaseWidget(v)
	return v
}

func (v *qrView) set(content string, grey bool) {
	if v.content == content && v.grey == grey {
		return
	}
	v.content, v.grey = content, grey
	v.raster.Refresh()
}

func (v *qrView) draw(w, h int) image.Image {
	side := min(w, h)
	key := fmt.Sprintf("%s|%v", v.content, v.grey)
	if v.cache != nil && v.cacheW == side && v.cacheK == key {
		return v.cache
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	if v.content != "" && side > 0 {
		if q, err := qrcode.New(v.content, qrcode.Medium); err == nil {
			q.DisableBorder = true
			bits := q.Bitmap()
			n := len(bits)
			// Whole pixels per module; one module of margin inside the
			// raster, the rest of the quiet zone is the white screen.
			ppm := side / (n + 2)
			if ppm > 0 {
				fg := image.NewUniform(color.Black)
				if v.grey {
					fg = image.NewUniform(color.Gray{Y: 0xC8})
				}
				x0, y0 := (w-n*ppm)/2, (h-n*ppm)/2
				for y, row := range bits {
					for x, on := range row {
						if on {
							r := image.Rect(x0+x*ppm, y0+y*ppm, x0+(x+1)*ppm, y0+(y+1)*ppm)
							draw.Draw(img, r, fg, image.Point{}, draw.Src)
						}
					}
				}
			}
		}
	}
	v.cache, v.cacheW, v.cacheK = img, side, key
	return img
}

// MinSize is small: the QR takes all the height the screen leaves it,
// drawn at whole pixels per module.
func (v *qrView) MinSize() fyne.Size { return fyne.NewSize(260, 260) }

func (v *qrView) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(v.raster)
}

// barChart draws values as bars with canvas primitives, labelling every
// labelEvery-th bar.
func barChart(values []app.Fen, label func(int) string, labelEvery int) fyne.CanvasObject {
	var maxV app.Fen
	for _, v := range values {
		maxV = max(maxV, v)
	}
	c := &chart{values: values, max: maxV, label: label, every: labelEvery}
	c.ExtendBaseWidget(c)
	return c
}

// chart is a tiny bar chart widget.
type chart struct {
	widget.BaseWidget
	values []app.Fen
	max    app.Fen
	label  func(int) string
	every  int
}

func (c *chart) CreateRenderer() fyne.WidgetRenderer {
	r := &chartRenderer{c: c}
	for i, v := range c.values {
		bar := canvas.NewRectangle(colorPay)
		if v == 0 {
			bar.FillColor = color.NRGBA{R: 0xDD, G: 0xDD, B: 0xDD, A: 0xFF}
		}
		r.bars = append(r.bars, bar)
		t := canvas.NewText("", colorGrey)
		t.TextSize = theme.CaptionTextSize()
		if c.every > 0 && i%c.every == 0 {
			t.Text = c.label(i)
		}
		r.labels = append(r.labels, t)
	}
	r.maxText = canvas.NewText(money(c.max), colorGrey)
	r.maxText.TextSize = theme.CaptionTextSize()
	return r
}

type chartRenderer struct {
	c       *chart
	bars    []*canvas.Rectangle
	labels  []*canvas.Text
	maxText *canvas.Text
}

func (r *chartRenderer) Layout(size fyne.Size) {
	n := len(r.bars)
	if n == 0 {
		return
	}
	// Axis labels in the theme's caption size: the day's maximum above
	// the bars, the hours or dates under them.
	labelH := r.maxText.MinSize().Height
	plotH := max(0, size.Height-2*labelH)
	w := size.Width / float32(n)
	for i, b := range r.bars {
		h := float32(2)
		if r.c.max > 0 {
			h = max(2, plotH*float32(r.c.values[i])/float32(r.c.max))
		}
		b.Move(fyne.NewPos(float32(i)*w+w*0.15, labelH+plotH-h))
		b.Resize(fyne.NewSize(w*0.7, h))
		r.labels[i].Move(fyne.NewPos(float32(i)*w, size.Height-labelH))
	}
	r.maxText.Move(fyne.NewPos(0, 0))
}

func (r *chartRenderer) MinSize() fyne.Size { return fyne.NewSize(200, 120) }
func (r *chartRenderer) Refresh()           { r.Layout(r.c.Size()) }
func (r *chartRenderer) Destroy()           {}
func (r *chartRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.maxText}
	for i := range r.bars {
		objs = append(objs, r.bars[i], r.labels[i])
	}
	return objs
}
