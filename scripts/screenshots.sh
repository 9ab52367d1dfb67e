#!/usr/bin/env bash
# Screenshots of the real kiosk binary in demo mode under Xvfb: every screen,
# at 1024x768 and 1920x1080, in Chinese and English, into docs/screenshots/.
# Needs Xvfb, xdotool and ImageMagick's import (make deps installs them).
# It drives the kiosk as a cashier would, with the keyboard: product codes
# and Enter, F12 to charge, F2/F3 for Sales/Settings with the demo PIN 0000;
# the customer pays through the simulator's /sim/scan.
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/screenshots
mkdir -p "$out"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# Fyne 2.8's GLFW builds for X11 and Wayland; without the Wayland headers,
# X11 alone is enough under Xvfb.
tags=(-tags no_emoji)
pkg-config --exists wayland-client 2>/dev/null || tags=(-tags no_emoji,x11)
go build "${tags[@]}" -o "$work/saoma" .

shot() { # name
	sleep 1.2
	import -display "$DISPLAY" -window root "$out/$1.png"
	echo "  $out/$1.png"
}
key() { xdotool key --delay 80 "$@"; }
type_code() { xdotool type --delay 60 "$1"; key Return; }

display=90
for size in 1024x768 1920x1080; do
	for lang in zh en; do
		display=$((display + 1))
		export DISPLAY=:$display
		Xvfb "$DISPLAY" -screen 0 "${size}x24" -nolisten tcp >/dev/null 2>&1 &
		xvfb=$!
		for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
		data="$work/data-$size-$lang"
		"$work/saoma" seed-demo -data "$data/demo" -days 14 -per-day 30 >/dev/null
		"$work/saoma" -config "$work/none.toml" -data "$data" -locale "$lang" -fullscreen >"$work/log" 2>&1 &
		kiosk=$!
		for _ in $(seq 100); do grep -q 'relay link' "$work/log" && break; sleep 0.1; done
		sim=$(sed -n 's/.*customer page" url=\(http:[^ ]*\).*/\1/p' "$work/log" | head -1)
		sleep 1.5
		echo "$size $lang (simulator $sim)"
		shot "sell-empty-$lang-$size"
		type_code 1001; type_code 1001; type_code 2002; type_code 3001
		shot "sell-$lang-$size"
		key F12
		shot "pay-$lang-$size"
		code=$(curl -s "${sim}sim/orders" | python3 -c 'import json,sys
d=json.load(sys.stdin); d=d if isinstance(d,list) else d.get("orders",[])
print([o for o in d if o["trade_state"]=="NOTPAY"][-1]["code_url"])')
		curl -s -X POST --data-urlencode "url=$code" "${sim}sim/scan" >/dev/null
		shot "paid-$lang-$size"
		key Return
		# 付款码: the customer shows a payment code that needs the password.
		type_code 1002; type_code 2001
		auth=$(curl -s -X POST -d outcome=USERPAYING "${sim}sim/paycode" | python3 -c 'import json,sys; print(json.load(sys.stdin)["auth_code"])')
		type_code "$auth"
		shot "paycode-$lang-$size"
		sleep 14 # the simulated customer enters the password after 10 s; the kiosk asks every 3 s
		shot "paycode-paid-$lang-$size"
		key Return
		key F2; sleep 0.5; xdotool type --delay 60 0000; key Return
		shot "sales-$lang-$size"
		key Escape; key F3; sleep 0.5; xdotool type --delay 60 0000; key Return
		shot "settings-$lang-$size"
		kill "$kiosk"; wait "$kiosk" 2>/dev/null || true
		kill "$xvfb"; wait "$xvfb" 2>/dev/null || true
	done
done
