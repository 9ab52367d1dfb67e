#!/usr/bin/env bash
# Regenerates the voice clips embedded by package speaker (speaker/clips/)
# with espeak-ng: Mandarin (voice cmn) and English (voice en), each clip
# resampled to 16 kHz mono 16-bit, trimmed of leading and trailing silence
# and given a few milliseconds of fade so concatenated clips do not click.
# Needs espeak-ng and sox; installs them with apt-get when missing.
# Output is byte-for-byte repeatable for one espeak-ng and sox version (sox
# -R -D: no random dither); commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
out=speaker/clips
rate=${SPEAKER_RATE:-210} # words per minute (default 175); 210 keeps clips/ under 600 KB

need=()
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# clip VOICE FILE TEXT: speak TEXT with VOICE into $out/FILE.wav.
clip() {
  local voice=$1 file=$2 text=$3
  mkdir -p "$(dirname "$out/$file")"
  espeak-ng -v "$voice" -s "$rate" -w "$work/raw.wav" "$text"
  # silence 1 ... reverse silence 1 ... trims both ends (the fades go
  # on while reversed) so no clip clicks where the trim cut into it.
  sox -R -D "$work/raw.wav" -r 16000 -c 1 -b 16 -e signed-integer "$out/$file.wav" gain -3 rate 16000 \
    silence 1 0.02 2% reverse silence 1 0.02 2% fade 0.01 reverse fade 0.005 gain -n -1
}

# Mandarin: file names are pinyin with the tone number (the names the
# package's table uses).
clip cmn zh/weixin-shoukuan "微信收款"
clip cmn zh/fu4 "负"
clip cmn zh/ling2 "零"
clip cmn zh/yi1 "一"
clip cmn zh/er4 "二"
clip cmn zh/liang3 "两"
clip cmn zh/san1 "三"
clip cmn zh/si4 "四"
clip cmn zh/wu3 "五"
clip cmn zh/liu4 "六"
clip cmn zh/qi1 "七"
clip cmn zh/ba1 "八"
clip cmn zh/jiu3 "九"
clip cmn zh/shi2 "十"
clip cmn zh/bai3 "百"
clip cmn zh/qian1 "千"
clip cmn zh/wan4 "万"
clip cmn zh/yi4 "亿"
clip cmn zh/dian3 "点"
clip cmn zh/yuan2 "元"

# English: file names are the words.
clip en en/wechat-pay-received "WeChat Pay received"
for w in minus zero one two three four five six seven eight nine ten \
         eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen \
         nineteen twenty thirty forty fifty sixty seventy eighty ninety \
         hundred thousand million billion point yuan; do
  clip en "en/$w" "$w"
done

du -sh "$out"
