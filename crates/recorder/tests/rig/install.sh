#!/bin/sh
# Installs GStreamer's RTSP server (and ffmpeg) for the recorder's camera test rig.
# Idempotent: does nothing when /usr/bin/python3 can already load GstRtspServer.
# Debian 12. Needs root (uses sudo when not root and sudo exists).
set -eu

if /usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer","1.0")' >/dev/null 2>&1; then
    echo "rtsp rig: GstRtspServer already available"
    exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y -o DPkg::Lock::Timeout=300 ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad gstreamer1.0-libav gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 python3-gi python3-gst-1.0

/usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer","1.0")'
echo "rtsp rig: GstRtspServer installed"
