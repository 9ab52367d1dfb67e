#!/usr/bin/env bash
# Times what a cashier feels, on the real kiosk binary under Xvfb: F12 →
# the QR drawn, payment confirmed → the green Paid screen, Enter on Paid →
# Sell. The screen is captured with xwd every ~15 ms; a step ends at the
# first frame whose centre changed as expected. Figures are wall-clock
# milliseconds including xdotool's own latency; run it on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
tags=(-tags no_emoji)
pkg-config --exists wayland-client 2>/dev/null || tags=(-tags no_emoji,x11)
go build "${tags[@]}" -o "$work/saoma" .
export DISPLAY=:81 HOME=$work
Xvfb "$DISPLAY" -screen 0 1024x768x24 -nolisten tcp >/dev/null 2>&1 &
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
"$work/saoma" -config "$work/none.toml" -data "$work/data" >"$work/log" 2>&1 &
for _ in $(seq 100); do grep -q 'relay link' "$work/log" && break; sleep 0.1; done
sim=$(sed -n 's/.*customer page" url=\(http:[^ ]*\).*/\1/p' "$work/log" | head -1)
sleep 1.5

# time_until CMD TEST [CROP]: records the screen with xwd (~15 ms a frame)
# while CMD runs, then finds the first frame whose CROP (default: the
# centre) meets TEST, an awk condition on its grey level g (0 black … 1
# white) and mean red r and green gr; prints the milliseconds from CMD to
# that frame.
time_until() {
	local frames="$work/frames" start
	rm -rf "$frames"; mkdir -p "$frames"
	(for _ in $(seq 80); do xwd -root -silent > "$frames/$(date +%s%N)"; done) &
	local rec=$!
	sleep 0.05
	start=$(date +%s%N)
	eval "$1"
	wait "$rec"
	for f in $(ls "$frames" | sort -n); do
		[ "$f" -lt "$start" ] && continue
		read -r g r gr < <(convert "xwd:$frames/$f" -crop "${3:-200x200+412+284}" +repage \
			-format "%[fx:mean.intensity] %[fx:mean.r] %[fx:mean.g]\n" info:)
		if awk -v g="$g" -v r="$r" -v gr="$gr" "BEGIN{exit !($2)}"; then
			echo $(((f - start) / 1000000)); return
		fi
	done
	echo "not seen"
}
xdotool type --delay 40 1001; xdotool key Return; sleep 0.5
qr=$(time_until "xdotool key F12" "g < 0.7")   # the QR darkens the centre
sleep 0.5
code=$(curl -s "${sim}sim/orders" | python3 -c 'import json,sys
d=json.load(sys.stdin); d=d if isinstance(d,list) else d.get("orders",[])
print([o for o in d if o["trade_state"]=="NOTPAY"][-1]["code_url"])')
# The Paid screen's left side turns WeChat green (white on the Pay screen).
paid=$(time_until "curl -s -X POST --data-urlencode url=$code ${sim}sim/scan >/dev/null" "gr > 0.6 && r < 0.3" 100x100+40+120)
sleep 0.5
back=$(time_until "xdotool key Return" "g > 0.85")  # Sell's light product grid
echo "F12 → QR drawn:                 ${qr} ms"
echo "payment confirmed → green Paid: ${paid} ms (from the customer's payment at the simulator)"
echo "Enter on Paid → Sell:           ${back} ms"
