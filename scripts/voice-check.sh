#!/usr/bin/env bash
# Proves the spoken "微信收款 N 元" with the real kiosk binary under Xvfb:
# a PulseAudio null sink stands in for the speaker (it plays in real time,
# unlike ALSA's null device), parec records its monitor, a demo sale is
# paid through the simulator, and the recording must hold ~1-5 s of sound
# after the payment and silence before it. Installs pulseaudio if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
need="pulseaudio pulseaudio-utils libasound2-plugins xvfb xdotool"
missing=""; for p in $need; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"; done
if [ -n "$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; HOME=$work pulseaudio --kill 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/saoma" .
export HOME=$work DISPLAY=:79
printf 'pcm.!default { type pulse }\nctl.!default { type pulse }\n' > "$work/.asoundrc"
pulseaudio -D --exit-idle-time=-1 -n --load="module-null-sink sink_name=vsink" --load="module-native-protocol-unix" 2>/dev/null
pactl set-default-sink vsink
Xvfb "$DISPLAY" -screen 0 1024x768x24 -nolisten tcp >/dev/null 2>&1 &
sleep 1
parec -d vsink.monitor --raw --format=s16le --rate=16000 --channels=1 > "$work/rec.raw" &
rec=$!
"$work/saoma" -config "$work/none.toml" -data "$work/data" >"$work/log" 2>&1 &
kiosk=$!
for _ in $(seq 100); do grep -q 'relay link' "$work/log" && break; sleep 0.1; done
sim=$(sed -n 's/.*customer page" url=\(http:[^ ]*\).*/\1/p' "$work/log" | head -1)
sleep 1
xdotool type --delay 60 1001; xdotool key Return; sleep 0.3; xdotool key F12; sleep 1.5
code=$(curl -s "${sim}sim/orders" | python3 -c 'import json,sys
d=json.load(sys.stdin); d=d if isinstance(d,list) else d.get("orders",[])
print([o for o in d if o["trade_state"]=="NOTPAY"][-1]["code_url"])')
curl -s -X POST --data-urlencode "url=$code" "${sim}sim/scan" >/dev/null
sleep 6
kill "$rec" "$kiosk"; wait "$kiosk" 2>/dev/null || true
python3 - "$work/rec.raw" <<'PY'
import math, struct, sys
d = open(sys.argv[1], 'rb').read()
n = len(d) // 2
s = struct.unpack('<%dh' % n, d[:n * 2])
win = 1600  # 0.1 s
rms = [math.sqrt(sum(x * x for x in s[i:i + win]) / win) for i in range(0, n - win, win)]
loud = [i for i, r in enumerate(rms) if r > 500]
print("recorded %.1f s; sound in %.1f s of it, peak RMS %d" % (n / 16000, len(loud) / 10, max(rms or [0])))
sys.exit(0 if 10 <= len(loud) <= 60 else "no announcement heard")
PY
