#!/usr/bin/python3
"""Fake RTSP cameras on loopback, served by GStreamer's RTSP server.

Run with the system interpreter (the one that has python3-gi):

    /usr/bin/python3 rtsp_camera.py --port 8554 [--shared] [--watch-stdin]

Mounts (one RTSPMediaFactory each; by default NOT shared, so every client gets
its own pipeline and its timestamps start at zero):

    /h264   H.264 320x240@25 + AAC 16 kHz mono
    /h265   H.265 320x240@25 + AAC 16 kHz mono
    /g711   H.264 320x240@25 + G.711 A-law 8 kHz mono
    /video  H.264 320x240@25, no audio
    /big    H.264 640x360@25 at ~2 Mbit/s (snow), no audio (load tests)

The ball mounts ask x264/x265 for 500 kbit/s but the simple picture only
needs ~130 kbit/s (H.265 ~250), which is what they send.

Prints `READY rtsp://127.0.0.1:PORT` on stdout once listening (PORT is the
bound port, so `--port 0` lets the kernel pick one). Exits 0 on SIGTERM/SIGINT
With --watch-stdin it also dies with its parent: a forked watcher process
waits for EOF on stdin (the parent's end of the pipe closing, however the
parent died) and then ends the server with SIGCONT+SIGTERM, SIGKILL after 2 s;
being a separate process it works while the server is SIGSTOPped.

Exit codes: 0 clean, 10 GStreamer / RTSP server / a plugin missing (message
starting with MISSING on stderr), 11 could not bind the port (BIND_FAILED).
"""

import argparse
import os
import signal
import sys
import time

# Not 2: python exits 2 itself when it cannot open the script (argparse too).
EXIT_MISSING = 10
EXIT_BIND = 11

REQUIRED_ELEMENTS = [
    "videotestsrc", "videoconvert", "x264enc", "x265enc", "rtph264pay",
    "rtph265pay", "audiotestsrc", "audioconvert", "audioresample", "voaacenc",
    "rtpmp4gpay", "alawenc", "rtppcmapay",
]


def video(width, height, enc, pattern="ball"):
    return (
        f"videotestsrc is-live=true pattern={pattern} "
        f"! video/x-raw,width={width},height={height},framerate=25/1 "
        f"! videoconvert ! video/x-raw,format=I420 ! {enc}"
    )


def h264(width=320, height=240, bitrate=500, pattern="ball"):
    return video(
        width, height,
        "x264enc tune=zerolatency speed-preset=ultrafast "
        f"bitrate={bitrate} key-int-max=25 threads=1 "
        "! video/x-h264,profile=baseline "
        "! rtph264pay name=pay0 pt=96 config-interval=1",
        pattern,
    )


def h265(width=320, height=240, bitrate=500):
    # pools=1/frame-threads=1 keep x265 from spinning up a thread per core.
    return video(
        width, height,
        "x265enc tune=zerolatency speed-preset=ultrafast "
        f"bitrate={bitrate} key-int-max=25 "
        'option-string="pools=1:frame-threads=1" '
        "! rtph265pay name=pay0 pt=96 config-interval=1",
    )


# 20 ms audio buffers, like a real camera.
AAC = (
    "audiotestsrc is-live=true wave=sine samplesperbuffer=320 "
    "! audioconvert ! audioresample "
    "! audio/x-raw,rate=16000,channels=1 "
    "! voaacenc bitrate=32000 ! rtpmp4gpay name=pay1 pt=97"
)

ALAW = (
    "audiotestsrc is-live=true wave=sine samplesperbuffer=160 "
    "! audioconvert ! audioresample "
    "! audio/x-raw,rate=8000,channels=1 "
    "! alawenc ! rtppcmapay name=pay1 pt=8"
)

MOUNTS = {
    "/h264": f"( {h264()} {AAC} )",
    "/h265": f"( {h265()} {AAC} )",
    "/g711": f"( {h264()} {ALAW} )",
    "/video": f"( {h264()} )",
    # The ball compresses to ~130 kbit/s whatever the bitrate; snow is
    # incompressible, so the encoder really sends its ~2 Mbit/s.
    "/big": f"( {h264(640, 360, 2000, pattern='snow')} )",
    # A microphone on its own (an audio-only input).
    "/audio": "( " + AAC.replace("name=pay1", "name=pay0") + " )",
}


def fork_stdin_watcher():
    """Fork a process that kills this one once stdin reaches EOF."""
    server = os.getpid()
    if os.fork() != 0:
        return
    # The watcher: keep no stdout/stderr pipe open, or the parent would not
    # see EOF on them when the server dies.
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    # Reparented: the server is gone already (its PID may be reused).
    if os.getppid() == server:
        try:
            os.kill(server, signal.SIGCONT)
            os.kill(server, signal.SIGTERM)
            deadline = time.monotonic() + 2
            while os.getppid() == server and time.monotonic() < deadline:
                time.sleep(0.05)
            if os.getppid() == server:
                os.kill(server, signal.SIGKILL)
        except ProcessLookupError:
            pass
    os._exit(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True,
                    help="TCP port on 127.0.0.1 (0: any free port)")
    ap.add_argument("--shared", action="store_true",
                    help="one pipeline per mount shared by all clients")
    ap.add_argument("--watch-stdin", action="store_true",
                    help="exit when stdin reaches EOF (parent died)")
    args = ap.parse_args()
    if args.watch_stdin:
        fork_stdin_watcher()  # before any thread exists

    try:
        import gi
        gi.require_version("Gst", "1.0")
        gi.require_version("GstRtspServer", "1.0")
        from gi.repository import GLib, Gst, GstRtspServer
    except (ImportError, ValueError) as e:
        print(f"MISSING GStreamer RTSP server for {sys.executable}: {e}",
              file=sys.stderr, flush=True)
        return EXIT_MISSING

    Gst.init(None)
    missing = [e for e in REQUIRED_ELEMENTS if Gst.ElementFactory.find(e) is None]
    if missing:
        print("MISSING GStreamer elements: " + " ".join(missing),
              file=sys.stderr, flush=True)
        return EXIT_MISSING

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for path, launch in MOUNTS.items():
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch)
        factory.set_shared(args.shared)
        mounts.add_factory(path, factory)

    # attach() creates, binds (SO_REUSEADDR) and listens; 0 means it failed.
    if server.attach(None) == 0:
        print(f"BIND_FAILED 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        return EXIT_BIND

    loop = GLib.MainLoop()

    def quit_loop(*_):
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, quit_loop)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, quit_loop)

    print(f"READY rtsp://127.0.0.1:{server.get_bound_port()}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
