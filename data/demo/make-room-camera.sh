#!/bin/sh
# Makes data/demo/room-camera.mp4: the clip the demo's replay inputs play in a loop (20 s, H.264
# 320x180 at 10 fps with a keyframe every 2 s and no B-frames, AAC mono 16 kHz; ~80 KB).
set -eu
cd "$(dirname "$0")"
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "color=c=0x1f3347:s=320x180:r=10,drawtext=text='Glassroom · demo':fontcolor=white:fontsize=20:x=(w-tw)/2:y=60,drawtext=text='%{pts\:hms}':fontcolor=0xffd75e:fontsize=18:x=(w-tw)/2:y=100" \
  -f lavfi -i "sine=frequency=330:sample_rate=16000,volume=0.2" \
  -t 20 -c:v libx264 -preset slow -crf 32 -g 20 -keyint_min 20 -sc_threshold 0 -bf 0 \
  -pix_fmt yuv420p -profile:v main -c:a aac -b:a 16k -ac 1 -movflags +faststart room-camera.mp4
