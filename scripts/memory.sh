#!/usr/bin/env bash
# Peak memory of the live kiosk against a Fyne hello-world with a QR, as
# issue 15 measures it: both under Xvfb at 1024x768, peak RSS (VmHWM) a
# few seconds after the window is up; the kiosk in live mode (a config
# pointing at the simulator as its own process, polling only, no printer)
# on the Pay screen after one product was charged. Target: kiosk ≤ 1.25×
# hello. The kiosk is built as `make run` builds it (-tags no_emoji).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
hello=bin/memory-hello # inside the module (bin/ is not tracked): it imports fyne and go-qrcode
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work" "$hello"' EXIT
tags=no_emoji
pkg-config --exists wayland-client 2>/dev/null || tags=no_emoji,x11
x11=()
[[ $tags == *x11 ]] && x11=(-tags x11)

# The baseline: a label and a QR image in a 1024x768 window, Fyne's defaults.
mkdir -p "$hello"
cat > "$hello/main.go" <<'GO'
package main

import (
	"bytes"
	"image/png"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"
)

func main() {
	a := app.New()
	w := a.NewWindow("hello")
	b, _ := qrcode.Encode("weixin://wxpay/bizpayurl?pr=abcdefghijk", qrcode.Medium, 512)
	img, _ := png.Decode(bytes.NewReader(b))
	qr := canvas.NewImageFromImage(img)
	qr.FillMode = canvas.ImageFillContain
	qr.SetMinSize(fyne.NewSize(400, 400))
	w.SetContent(container.NewBorder(widget.NewLabel("Hello"), nil, nil, nil, qr))
	w.Resize(fyne.NewSize(1024, 768))
	w.ShowAndRun()
}
GO
go build "${x11[@]}" -o "$work/hello" "./$hello"
go build -tags "$tags" -o "$work/saoma" .
CGO_ENABLED=0 go build -o "$work/wxpay-sim" ./cmd/wxpay-sim

export DISPLAY=:82 HOME=$work
Xvfb "$DISPLAY" -screen 0 1024x768x24 -nolisten tcp >/dev/null 2>&1 &
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$work/wxpay-sim" -listen "127.0.0.1:$port" -appid wx1234567890abcdef >"$work/sim.log" 2>&1 &
cat > "$work/config.toml" <<TOML
shop = "测试小店"
kiosk_id = "M1"
locale = "zh"
[wxpay]
appid = "wx1234567890abcdef"
mch_id = "1900000109"
key = "saomaDemoKey0123456789abcdefABCD"
base_url = "http://127.0.0.1:$port"
notify_url = "https://example.com/notify"
spbill_create_ip = "127.0.0.1"
[printer]
kind = "none"
TOML
chmod 600 "$work/config.toml"
printf 'id,name,price,category\n1001,拿铁,18.00,咖啡\n' > "$work/products.csv"
"$work/saoma" catalog -data "$work/data" -import "$work/products.csv" >/dev/null

hwm() { awk '/^VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

runs=3
for i in $(seq $runs); do
	"$work/hello" >/dev/null 2>&1 &
	pid=$!
	sleep 5
	h[$i]=$(hwm $pid)
	kill $pid; wait $pid 2>/dev/null || true

	"$work/saoma" -config "$work/config.toml" -data "$work/data" >"$work/kiosk.log" 2>&1 &
	pid=$!
	sleep 5
	xdotool type --delay 40 1001; xdotool key Return; sleep 0.5
	xdotool key F12; sleep 4
	k[$i]=$(hwm $pid)
	kill $pid; wait $pid 2>/dev/null || true
done
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
hm=$(median "${h[@]}"); km=$(median "${k[@]}")
echo "hello-world + QR peak RSS: ${h[*]} MB (median $hm)"
echo "kiosk, live, Pay screen:   ${k[*]} MB (median $km)"
awk -v k="$km" -v h="$hm" 'BEGIN { r = k / h; printf "ratio %.2f (target <= 1.25): %s\n", r, (r <= 1.25 ? "PASS" : "MISS") }'
