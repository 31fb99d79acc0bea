//! Fragmented MP4 (ISO BMFF) writer: ISO/IEC 14496-12 boxes, 14496-15 (`avcC`/`hvcC`) and
//! 14496-14 (`esds`) sample entries.
//!
//! A segment file is [`init_segment`] (`ftyp` + `moov` with `mvex`, empty sample tables) followed by
//! one or more [`fragment`]s (`moof` + `mdat`). Output is a pure function of the input: no clocks,
//! `creation_time` is 0, so the same samples always give the same bytes (and the same hash).

use bytes::Bytes;

/// A track's codec and its decoder configuration, exactly as `retina` hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Codec {
    /// `avcc` = AVCDecoderConfigurationRecord (exactly what retina's VideoParameters::extra_data() returns for H.264).
    H264 {
        avcc: Vec<u8>,
        width: u16,
        height: u16,
    },
    /// `hvcc` = HEVCDecoderConfigurationRecord (retina's extra_data() for H.265).
    H265 {
        hvcc: Vec<u8>,
        width: u16,
        height: u16,
    },
    /// `asc` = AudioSpecificConfig (retina's AudioParameters::extra_data() for AAC).
    Aac {
        asc: Vec<u8>,
        sample_rate: u32,
        channels: u16,
    },
    /// G.711 A-law (`alaw`) or µ-law (`ulaw`) sample entry, 8 kHz mono usually.
    G711 {
        alaw: bool,
        sample_rate: u32,
        channels: u16,
    },
}

impl Codec {
    fn video_dims(&self) -> Option<(u16, u16)> {
        match self {
            Codec::H264 { width, height, .. } | Codec::H265 { width, height, .. } => {
                Some((*width, *height))
            }
            _ => None,
        }
    }

    fn audio_params(&self) -> Option<(u32, u16)> {
        match self {
            Codec::Aac {
                sample_rate,
                channels,
                ..
            }
            | Codec::G711 {
                sample_rate,
                channels,
                ..
            } => Some((*sample_rate, *channels)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// 1-based, unique within the file.
    pub id: u32,
    pub codec: Codec,
    /// 90000 for video; the sample rate for audio.
    pub timescale: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub track: u32,
    /// Decode time in the track's timescale. A track's samples in one fragment must be contiguous:
    /// each `dts` equals the previous sample's `dts + duration`.
    pub dts: u64,
    pub duration: u32,
    /// Composition offset (pts - dts); negative values make the `trun` version 1.
    pub cts_offset: i32,
    pub is_sync: bool,
    /// Video: length-prefixed NAL units (4-byte lengths). Audio: one raw AAC access unit (no ADTS)
    /// or G.711 bytes.
    pub data: Bytes,
}

#[derive(Debug, thiserror::Error)]
pub enum MuxError {
    #[error("no tracks")]
    NoTracks,
    #[error("track id {0} is zero or used twice")]
    BadTrackId(u32),
    #[error("track {0}: timescale is zero")]
    ZeroTimescale(u32),
    #[error("track {track}: malformed {what}")]
    BadConfig { track: u32, what: &'static str },
    #[error("sample refers to unknown track {0}")]
    UnknownTrack(u32),
    #[error("fragment has no samples")]
    EmptyFragment,
    #[error(
        "track {track}: sample dts {got} does not follow the previous sample (expected {expected})"
    )]
    Discontinuous { track: u32, expected: u64, got: u64 },
    #[error("{0} too large for MP4")]
    TooLarge(&'static str),
}

/// `ftyp` + `moov` for these tracks.
pub fn init_segment(tracks: &[Track]) -> Result<Vec<u8>, MuxError> {
    validate_tracks(tracks)?;
    let mut out = Vec::with_capacity(1024);
    write_box(&mut out, b"ftyp", |o| {
        o.extend_from_slice(b"iso6");
        o.put_u32(0);
        for brand in [b"iso6", b"iso5", b"mp41", b"dash"] {
            o.extend_from_slice(brand);
        }
        Ok(())
    })?;
    write_box(&mut out, b"moov", |o| {
        let next_track_id = tracks
            .iter()
            .map(|t| t.id)
            .max()
            .unwrap_or(0)
            .saturating_add(1);
        full_box(o, b"mvhd", 0, 0, |o| {
            o.put_u32(0); // creation_time
            o.put_u32(0); // modification_time
            o.put_u32(1000); // timescale
            o.put_u32(0); // duration: unknown, fragments carry it
            o.put_u32(0x0001_0000); // rate 1.0
            o.put_u16(0x0100); // volume 1.0
            o.extend_from_slice(&[0; 10]);
            put_matrix(o);
            o.extend_from_slice(&[0; 24]); // pre_defined
            o.put_u32(next_track_id);
            Ok(())
        })?;
        for t in tracks {
            write_trak(o, t)?;
        }
        write_box(o, b"mvex", |o| {
            for t in tracks {
                // track_ID, default sample description index / duration / size / flags
                words(o, b"trex", 0, 0, &[t.id, 1, 0, 0, 0])?;
            }
            Ok(())
        })
    })?;
    Ok(out)
}

/// One `moof` (an `mfhd`, then a `traf` per track that has samples, in `tracks` order) and one `mdat`
/// holding the samples grouped by track, each track's samples in the order given.
pub fn fragment(sequence: u32, tracks: &[Track], samples: &[Sample]) -> Result<Vec<u8>, MuxError> {
    validate_tracks(tracks)?;
    if samples.is_empty() {
        return Err(MuxError::EmptyFragment);
    }
    if let Some(s) = samples
        .iter()
        .find(|s| !tracks.iter().any(|t| t.id == s.track))
    {
        return Err(MuxError::UnknownTrack(s.track));
    }
    let mut groups: Vec<(u32, Vec<&Sample>)> = Vec::new();
    let mut payload: u64 = 0;
    for t in tracks {
        let ss: Vec<&Sample> = samples.iter().filter(|s| s.track == t.id).collect();
        for pair in ss.windows(2) {
            if let [a, b] = pair {
                let expected = a
                    .dts
                    .checked_add(u64::from(a.duration))
                    .ok_or(MuxError::TooLarge("dts"))?;
                if b.dts != expected {
                    return Err(MuxError::Discontinuous {
                        track: t.id,
                        expected,
                        got: b.dts,
                    });
                }
            }
        }
        for s in &ss {
            u32::try_from(s.data.len()).map_err(|_| MuxError::TooLarge("sample"))?;
            payload += s.data.len() as u64;
        }
        if !ss.is_empty() {
            groups.push((t.id, ss));
        }
    }
    let mdat_header: u64 = if payload + 8 <= u64::from(u32::MAX) {
        8
    } else {
        16
    };

    let mut out = Vec::with_capacity(256 + samples.len() * 16);
    let mut offset_slots = Vec::with_capacity(groups.len());
    write_box(&mut out, b"moof", |o| {
        words(o, b"mfhd", 0, 0, &[sequence])?;
        for (track_id, ss) in &groups {
            write_box(o, b"traf", |o| {
                // default-base-is-moof: data_offset counts from the first byte of this moof.
                words(o, b"tfhd", 0, 0x02_0000, &[*track_id])?;
                let base = ss.first().map_or(0, |s| s.dts);
                words(o, b"tfdt", 1, 0, &[(base >> 32) as u32, base as u32])?;
                // data-offset, sample-duration, -size, -flags, -composition-time-offset present.
                let version = u8::from(ss.iter().any(|s| s.cts_offset < 0));
                full_box(o, b"trun", version, 0x00_0f01, |o| {
                    o.put_u32(u32::try_from(ss.len()).map_err(|_| MuxError::TooLarge("fragment"))?);
                    offset_slots.push(o.len());
                    o.put_u32(0); // data_offset, patched below
                    for s in ss {
                        o.put_u32(s.duration);
                        o.put_u32(s.data.len() as u32); // checked above
                        o.put_u32(sample_flags(s.is_sync));
                        o.extend_from_slice(&s.cts_offset.to_be_bytes()); // v0 reads it as u32 (never negative there)
                    }
                    Ok(())
                })
            })?;
        }
        Ok(())
    })?;

    let mut data_pos = out.len() as u64 + mdat_header;
    for (slot, (_, ss)) in offset_slots.iter().zip(&groups) {
        let off = i32::try_from(data_pos).map_err(|_| MuxError::TooLarge("fragment"))?;
        out[*slot..*slot + 4].copy_from_slice(&off.to_be_bytes());
        data_pos += ss.iter().map(|s| s.data.len() as u64).sum::<u64>();
    }
    out.reserve(
        usize::try_from(payload + mdat_header).map_err(|_| MuxError::TooLarge("fragment"))?,
    );
    put_box_header(&mut out, b"mdat", payload + mdat_header);
    for (_, ss) in &groups {
        for s in ss {
            out.extend_from_slice(&s.data);
        }
    }
    Ok(out)
}

/// Sync: sample_depends_on = 2 (independent). Otherwise depends_on = 1 and is_non_sync_sample.
fn sample_flags(is_sync: bool) -> u32 {
    if is_sync { 0x0200_0000 } else { 0x0101_0000 }
}

fn validate_tracks(tracks: &[Track]) -> Result<(), MuxError> {
    if tracks.is_empty() {
        return Err(MuxError::NoTracks);
    }
    for (i, t) in tracks.iter().enumerate() {
        if t.id == 0 || tracks[..i].iter().any(|u| u.id == t.id) {
            return Err(MuxError::BadTrackId(t.id));
        }
        if t.timescale == 0 {
            return Err(MuxError::ZeroTimescale(t.id));
        }
        let (config_ok, what) = match &t.codec {
            Codec::H264 { avcc, .. } => (avcc.len() >= 7 && avcc[0] == 1, "avcC record"),
            Codec::H265 { hvcc, .. } => (hvcc.len() >= 23 && hvcc[0] == 1, "hvcC record"),
            Codec::Aac { asc, .. } => (asc.len() >= 2, "AudioSpecificConfig"),
            Codec::G711 { .. } => (true, ""),
        };
        let params_ok = match t.codec.video_dims() {
            Some((w, h)) => w > 0 && h > 0,
            None => t.codec.audio_params().is_some_and(|(r, c)| r > 0 && c > 0),
        };
        if !config_ok || !params_ok {
            let what = if config_ok { "codec parameters" } else { what };
            return Err(MuxError::BadConfig { track: t.id, what });
        }
    }
    Ok(())
}

fn write_trak(o: &mut Vec<u8>, t: &Track) -> Result<(), MuxError> {
    let video = t.codec.video_dims().is_some();
    let (width, height) = t.codec.video_dims().unwrap_or((0, 0));
    write_box(o, b"trak", |o| {
        full_box(o, b"tkhd", 0, 0x3, |o| {
            // enabled | in_movie
            o.put_u32(0); // creation_time
            o.put_u32(0); // modification_time
            o.put_u32(t.id);
            o.put_u32(0); // reserved
            o.put_u32(0); // duration
            o.extend_from_slice(&[0; 8]);
            o.put_u16(0); // layer
            o.put_u16(0); // alternate_group
            o.put_u16(if video { 0 } else { 0x0100 }); // volume
            o.put_u16(0);
            put_matrix(o);
            o.put_u32(u32::from(width) << 16);
            o.put_u32(u32::from(height) << 16);
            Ok(())
        })?;
        write_box(o, b"mdia", |o| {
            full_box(o, b"mdhd", 0, 0, |o| {
                o.put_u32(0);
                o.put_u32(0);
                o.put_u32(t.timescale);
                o.put_u32(0);
                o.put_u16((21 << 10) | (14 << 5) | 4); // ISO-639-2/T "und", 5 bits a letter
                o.put_u16(0);
                Ok(())
            })?;
            full_box(o, b"hdlr", 0, 0, |o| {
                o.put_u32(0);
                o.extend_from_slice(if video { b"vide" } else { b"soun" });
                o.extend_from_slice(&[0; 12]);
                o.extend_from_slice(if video {
                    b"VideoHandler\0"
                } else {
                    b"SoundHandler\0"
                });
                Ok(())
            })?;
            write_box(o, b"minf", |o| {
                if video {
                    words(o, b"vmhd", 0, 1, &[0, 0])?; // graphicsmode, opcolor
                } else {
                    words(o, b"smhd", 0, 0, &[0])?; // balance, reserved
                }
                write_box(o, b"dinf", |o| {
                    full_box(o, b"dref", 0, 0, |o| {
                        o.put_u32(1);
                        words(o, b"url ", 0, 1, &[]) // self-contained
                    })
                })?;
                write_box(o, b"stbl", |o| {
                    full_box(o, b"stsd", 0, 0, |o| {
                        o.put_u32(1);
                        write_sample_entry(o, t)
                    })?;
                    for typ in [b"stts", b"stsc", b"stco"] {
                        words(o, typ, 0, 0, &[0])?;
                    }
                    words(o, b"stsz", 0, 0, &[0, 0]) // sample_size, sample_count
                })
            })
        })
    })
}

fn write_sample_entry(o: &mut Vec<u8>, t: &Track) -> Result<(), MuxError> {
    match &t.codec {
        Codec::H264 {
            avcc,
            width,
            height,
        } => visual_entry(o, b"avc1", *width, *height, b"avcC", avcc),
        Codec::H265 {
            hvcc,
            width,
            height,
        } => visual_entry(o, b"hvc1", *width, *height, b"hvcC", hvcc),
        Codec::Aac {
            asc,
            sample_rate,
            channels,
        } => audio_entry(o, b"mp4a", *sample_rate, *channels, |o| {
            full_box(o, b"esds", 0, 0, |o| {
                let mut dcd = vec![0x40, 0x05 << 2 | 1]; // MPEG-4 Audio; AudioStream, upStream 0, reserved 1
                dcd.extend_from_slice(&[0; 3 + 4 + 4]); // bufferSizeDB, maxBitrate, avgBitrate
                descriptor(&mut dcd, 0x05, asc)?; // DecoderSpecificInfo
                let mut es = vec![0, 0, 0]; // ES_ID 0 (as stored in a file), no flags
                descriptor(&mut es, 0x04, &dcd)?; // DecoderConfigDescriptor
                descriptor(&mut es, 0x06, &[0x02])?; // SLConfigDescriptor, predefined MP4
                descriptor(o, 0x03, &es) // ES_Descriptor
            })
        }),
        Codec::G711 {
            alaw,
            sample_rate,
            channels,
        } => audio_entry(
            o,
            if *alaw { b"alaw" } else { b"ulaw" },
            *sample_rate,
            *channels,
            |_| Ok(()),
        ),
    }
}

fn visual_entry(
    o: &mut Vec<u8>,
    typ: &[u8; 4],
    w: u16,
    h: u16,
    cfg_typ: &[u8; 4],
    cfg: &[u8],
) -> Result<(), MuxError> {
    write_box(o, typ, |o| {
        o.extend_from_slice(&[0; 6]);
        o.put_u16(1); // data_reference_index
        o.extend_from_slice(&[0; 16]); // pre_defined, reserved
        o.put_u16(w);
        o.put_u16(h);
        o.put_u32(0x0048_0000); // 72 dpi
        o.put_u32(0x0048_0000);
        o.put_u32(0);
        o.put_u16(1); // frame_count
        o.extend_from_slice(&[0; 32]); // compressorname
        o.put_u16(0x0018); // depth
        o.put_u16(0xffff); // pre_defined = -1
        write_box(o, cfg_typ, |o| {
            o.extend_from_slice(cfg);
            Ok(())
        })
    })
}

fn audio_entry(
    o: &mut Vec<u8>,
    typ: &[u8; 4],
    rate: u32,
    channels: u16,
    extra: impl FnOnce(&mut Vec<u8>) -> Result<(), MuxError>,
) -> Result<(), MuxError> {
    write_box(o, typ, |o| {
        o.extend_from_slice(&[0; 6]);
        o.put_u16(1); // data_reference_index
        o.extend_from_slice(&[0; 8]);
        o.put_u16(channels);
        o.put_u16(16); // samplesize
        o.put_u32(0); // pre_defined, reserved
        o.put_u32(rate.min(0xffff) << 16); // 16.16; rates above 65535 live in mdhd only
        extra(o)
    })
}

/// An MPEG-4 descriptor (14496-1): tag, expandable length, body.
fn descriptor(o: &mut Vec<u8>, tag: u8, body: &[u8]) -> Result<(), MuxError> {
    let len = body.len();
    if len >= 1 << 28 {
        return Err(MuxError::TooLarge("descriptor"));
    }
    o.push(tag);
    let groups = (1..4).filter(|&i| len >> (7 * i) != 0).count(); // extra 7-bit groups
    for i in (1..=groups).rev() {
        o.push(0x80 | ((len >> (7 * i)) & 0x7f) as u8);
    }
    o.push((len & 0x7f) as u8);
    o.extend_from_slice(body);
    Ok(())
}

fn put_matrix(o: &mut Vec<u8>) {
    for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        o.put_u32(v);
    }
}

/// A box header for a box of `total` bytes (header included): 32-bit size, or `largesize` when it
/// does not fit (the caller must have counted the 16-byte header in `total`).
fn put_box_header(o: &mut Vec<u8>, typ: &[u8; 4], total: u64) {
    match u32::try_from(total) {
        Ok(size) => o.put_u32(size),
        Err(_) => o.put_u32(1),
    }
    o.extend_from_slice(typ);
    if u32::try_from(total).is_err() {
        o.put_u64(total);
    }
}

/// A box whose body `f` writes; the size is patched afterwards. Only `mdat` can outgrow 32 bits,
/// and it is written with [`put_box_header`].
fn write_box(
    o: &mut Vec<u8>,
    typ: &[u8; 4],
    f: impl FnOnce(&mut Vec<u8>) -> Result<(), MuxError>,
) -> Result<(), MuxError> {
    let start = o.len();
    o.put_u32(0);
    o.extend_from_slice(typ);
    f(o)?;
    let size = u32::try_from(o.len() - start).map_err(|_| MuxError::TooLarge("box"))?;
    o[start..start + 4].copy_from_slice(&size.to_be_bytes());
    Ok(())
}

fn full_box(
    o: &mut Vec<u8>,
    typ: &[u8; 4],
    version: u8,
    flags: u32,
    f: impl FnOnce(&mut Vec<u8>) -> Result<(), MuxError>,
) -> Result<(), MuxError> {
    write_box(o, typ, |o| {
        o.put_u32(u32::from(version) << 24 | (flags & 0x00ff_ffff));
        f(o)
    })
}

/// A full box whose body is just these 32-bit fields.
fn words(
    o: &mut Vec<u8>,
    typ: &[u8; 4],
    version: u8,
    flags: u32,
    w: &[u32],
) -> Result<(), MuxError> {
    full_box(o, typ, version, flags, |o| {
        w.iter().for_each(|&v| o.put_u32(v));
        Ok(())
    })
}

trait Put {
    fn put_u16(&mut self, v: u16);
    fn put_u32(&mut self, v: u32);
    fn put_u64(&mut self, v: u64);
}

impl Put for Vec<u8> {
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::atomic::{AtomicU32, Ordering};

    // ---- box parsing -------------------------------------------------------------------------

    /// Top-level boxes of `buf` as (type, body); asserts sizes tile the buffer exactly.
    fn boxes(buf: &[u8]) -> Vec<([u8; 4], &[u8])> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < buf.len() {
            let size32 = u32::from_be_bytes(buf[pos..pos + 4].try_into().unwrap()) as usize;
            let typ: [u8; 4] = buf[pos + 4..pos + 8].try_into().unwrap();
            let (size, header) = if size32 == 1 {
                (
                    u64::from_be_bytes(buf[pos + 8..pos + 16].try_into().unwrap()) as usize,
                    16,
                )
            } else {
                (size32, 8)
            };
            assert!(
                size >= header && pos + size <= buf.len(),
                "box {:?} overruns",
                String::from_utf8_lossy(&typ)
            );
            out.push((typ, &buf[pos + header..pos + size]));
            pos += size;
        }
        assert_eq!(pos, buf.len());
        out
    }

    /// The body of the box at `path`, descending through containers (skipping the fixed fields
    /// of stsd/dref and of the sample entries before their child boxes).
    fn find<'a>(buf: &'a [u8], path: &[&[u8; 4]]) -> &'a [u8] {
        let mut cur = buf;
        for typ in path {
            cur = boxes(cur)
                .into_iter()
                .find(|(t, _)| t == *typ)
                .map(|(_, b)| b)
                .unwrap();
            cur = match *typ {
                b"stsd" | b"dref" => &cur[8..],
                b"avc1" | b"hvc1" => &cur[78..],
                b"mp4a" | b"alaw" | b"ulaw" => &cur[28..],
                _ => cur,
            };
        }
        cur
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
    }

    /// A track with the usual timescale: 90 kHz for video, the sample rate for audio.
    fn track(id: u32, codec: Codec) -> Track {
        let timescale = codec.audio_params().map_or(90000, |(rate, _)| rate);
        Track {
            id,
            codec,
            timescale,
        }
    }

    fn h264(avcc: Vec<u8>) -> Codec {
        Codec::H264 {
            avcc,
            width: 320,
            height: 240,
        }
    }

    fn aac(asc: Vec<u8>, sample_rate: u32) -> Codec {
        Codec::Aac {
            asc,
            sample_rate,
            channels: 1,
        }
    }

    const AVCC: [u8; 15] = [
        1, 0x4d, 0, 0x1e, 0xff, 0xe1, 0, 2, 0x67, 0x4d, 1, 0, 2, 0x68, 0xee,
    ];

    fn h264_track() -> Track {
        track(1, h264(AVCC.to_vec()))
    }

    fn aac_track() -> Track {
        track(2, aac(vec![0x14, 0x08], 16000))
    }

    fn sample(track: u32, dts: u64, duration: u32, is_sync: bool, data: &[u8]) -> Sample {
        Sample {
            track,
            dts,
            duration,
            cts_offset: 0,
            is_sync,
            data: Bytes::copy_from_slice(data),
        }
    }

    #[test]
    fn init_segment_structure() {
        let tracks = [h264_track(), aac_track()];
        let init = init_segment(&tracks).unwrap();
        let top: Vec<_> = boxes(&init).iter().map(|(t, _)| *t).collect();
        assert_eq!(top, [*b"ftyp", *b"moov"]);
        assert_eq!(&find(&init, &[b"ftyp"])[..4], b"iso6");
        let moov: Vec<_> = boxes(find(&init, &[b"moov"]))
            .iter()
            .map(|(t, _)| *t)
            .collect();
        assert_eq!(moov, [*b"mvhd", *b"trak", *b"trak", *b"mvex"]);
        let mvhd = find(&init, &[b"moov", b"mvhd"]);
        assert_eq!(u32_at(mvhd, 96), 3, "next_track_ID");
        let tkhd = find(&init, &[b"moov", b"trak", b"tkhd"]);
        assert_eq!((u32_at(tkhd, 76), u32_at(tkhd, 80)), (320 << 16, 240 << 16));
        let mdhd = find(&init, &[b"moov", b"trak", b"mdia", b"mdhd"]);
        assert_eq!(
            (u32_at(mdhd, 12), &mdhd[20..22]),
            (90000, &[0x55, 0xc4][..])
        );
        assert_eq!(
            &find(&init, &[b"moov", b"trak", b"mdia", b"hdlr"])[8..12],
            b"vide"
        );
        let stbl = [b"moov", b"trak", b"mdia", b"minf", b"stbl"];
        let avcc = find(&init, &[&stbl[..], &[b"stsd", b"avc1", b"avcC"]].concat());
        assert_eq!(avcc, AVCC);
        let trex: Vec<_> = boxes(find(&init, &[b"moov", b"mvex"]))
            .iter()
            .map(|(_, b)| u32_at(b, 4))
            .collect();
        assert_eq!(trex, [1, 2]);
        // The audio track's esds: ES_Descriptor > DecoderConfigDescriptor (0x40, audio) > ASC.
        let moov_body = find(&init, &[b"moov"]);
        let audio_trak = boxes(moov_body)
            .into_iter()
            .filter(|(t, _)| t == b"trak")
            .nth(1)
            .unwrap()
            .1;
        let esds = find(
            audio_trak,
            &[b"mdia", b"minf", b"stbl", b"stsd", b"mp4a", b"esds"],
        );
        assert_eq!(
            &esds[4..],
            [
                3, 25, 0, 0, 0, 4, 17, 0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 2, 0x14, 8,
                6, 1, 2
            ]
        );
        assert_eq!(init, init_segment(&tracks).unwrap(), "deterministic");
    }

    #[test]
    fn fragment_structure_and_offsets() {
        let tracks = [h264_track(), aac_track()];
        let samples = [
            sample(2, 1024, 1024, true, b"aac-1"),
            sample(1, 9000, 3600, true, b"video-key"),
            sample(2, 2048, 1024, true, b"aac-2"),
            Sample {
                cts_offset: -3600,
                ..sample(1, 12600, 3600, false, b"video-p")
            },
        ];
        let frag = fragment(7, &tracks, &samples).unwrap();
        let top = boxes(&frag);
        assert_eq!(
            top.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            [*b"moof", *b"mdat"]
        );
        assert_eq!(top[1].1, b"video-keyvideo-paac-1aac-2");
        assert_eq!(u32_at(find(&frag, &[b"moof", b"mfhd"]), 4), 7);
        let trafs: Vec<_> = boxes(top[0].1)
            .into_iter()
            .filter(|(t, _)| t == b"traf")
            .map(|(_, b)| b)
            .collect();
        assert_eq!(trafs.len(), 2);
        let expect = [
            (1, 9000u64, b"video-key".as_slice(), 1u8),
            (2, 1024, b"aac-1".as_slice(), 0),
        ];
        for (traf, (id, base, first, version)) in trafs.iter().zip(expect) {
            let tfhd = find(traf, &[b"tfhd"]);
            assert_eq!((u32_at(tfhd, 0), u32_at(tfhd, 4)), (0x02_0000, id));
            let tfdt = find(traf, &[b"tfdt"]);
            assert_eq!(
                (tfdt[0], u64::from_be_bytes(tfdt[4..12].try_into().unwrap())),
                (1, base)
            );
            let trun = find(traf, &[b"trun"]);
            assert_eq!(
                (trun[0], u32_at(trun, 0) & 0xff_ffff, u32_at(trun, 4)),
                (version, 0xf01, 2)
            );
            let off = u32_at(trun, 8) as usize;
            assert_eq!(
                &frag[off..off + first.len()],
                first,
                "data_offset is relative to the moof"
            );
        }
        let trun = find(trafs[0], &[b"trun"]);
        assert_eq!(
            (u32_at(trun, 20), u32_at(trun, 36)),
            (0x0200_0000, 0x0101_0000),
            "sample flags"
        );
        assert_eq!(u32_at(trun, 40) as i32, -3600, "signed cts offset");
        assert_eq!(
            frag,
            fragment(7, &tracks, &samples).unwrap(),
            "deterministic"
        );
    }

    #[test]
    fn errors() {
        let tracks = [h264_track()];
        let s = sample(1, 0, 3600, true, b"x");
        assert!(matches!(
            fragment(1, &tracks, &[]),
            Err(MuxError::EmptyFragment)
        ));
        assert!(matches!(
            fragment(1, &tracks, &[sample(9, 0, 1, true, b"x")]),
            Err(MuxError::UnknownTrack(9))
        ));
        let gap = [s.clone(), sample(1, 3601, 3600, false, b"y")];
        assert!(matches!(
            fragment(1, &tracks, &gap),
            Err(MuxError::Discontinuous {
                track: 1,
                expected: 3600,
                got: 3601
            })
        ));
        assert!(matches!(init_segment(&[]), Err(MuxError::NoTracks)));
        assert!(matches!(
            init_segment(&[h264_track(), h264_track()]),
            Err(MuxError::BadTrackId(1))
        ));
        let bad = track(1, h264(vec![0; 3]));
        assert!(matches!(
            init_segment(&[bad]),
            Err(MuxError::BadConfig { track: 1, .. })
        ));
        let bad = track(2, aac(vec![], 8000));
        assert!(matches!(
            fragment(1, &[bad], &[s]),
            Err(MuxError::BadConfig { track: 2, .. })
        ));
    }

    #[test]
    fn largesize_header_and_descriptor_lengths() {
        let mut o = Vec::new();
        put_box_header(&mut o, b"mdat", 100);
        assert_eq!(o, [0, 0, 0, 100, b'm', b'd', b'a', b't']);
        o.clear();
        put_box_header(&mut o, b"mdat", (1 << 32) + 16);
        assert_eq!(
            o,
            [0, 0, 0, 1, b'm', b'd', b'a', b't', 0, 0, 0, 1, 0, 0, 0, 16]
        );
        o.clear();
        descriptor(&mut o, 5, &[0; 200]).unwrap();
        assert_eq!(&o[..3], [5, 0x81, 0x48]);
    }

    // ---- real streams through ffmpeg/ffprobe -------------------------------------------------

    fn ffmpeg_available() -> bool {
        let ok = ["ffprobe", "ffmpeg"].iter().all(|b| {
            Command::new(b)
                .arg("-version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
        if !ok {
            assert!(
                std::env::var("GLASSROOM_REQUIRE_FFMPEG").as_deref() != Ok("1"),
                "ffmpeg/ffprobe required but not on PATH"
            );
            eprintln!("skipping: ffmpeg/ffprobe not on PATH");
        }
        ok
    }

    struct TempDir(PathBuf);
    impl TempDir {
        fn new(name: &str) -> TempDir {
            static N: AtomicU32 = AtomicU32::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir()
                .join(format!("glassroom-fmp4-{}-{name}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Runs `ffmpeg -f lavfi -i <src> -t 2 <args> <dir>/<out>` and returns the file's bytes.
    fn generate(dir: &Path, src: &str, args: &[&str], out: &str) -> Vec<u8> {
        let path = dir.join(out);
        let st = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i", src, "-t", "2"])
            .args(args)
            .arg(&path)
            .status()
            .unwrap();
        assert!(st.success(), "ffmpeg failed generating {out}");
        std::fs::read(&path).unwrap()
    }

    fn annexb_nals(data: &[u8]) -> Vec<&[u8]> {
        let mut starts = Vec::new(); // (start code begins, NAL begins)
        let mut i = 0;
        while i + 3 <= data.len() {
            if data[i..i + 3] == [0, 0, 1] {
                starts.push((if i > 0 && data[i - 1] == 0 { i - 1 } else { i }, i + 3));
                i += 3;
            } else {
                i += 1;
            }
        }
        let ends = starts.iter().skip(1).map(|s| s.0).chain([data.len()]);
        starts
            .iter()
            .zip(ends)
            .map(|(s, end)| {
                let mut nal = &data[s.1..end];
                while let [rest @ .., 0] = nal {
                    nal = rest;
                }
                nal
            })
            .filter(|n| !n.is_empty())
            .collect()
    }

    /// Groups NALs into access units: a new one starts at a first slice or at a prefix NAL
    /// (parameter sets, SEI, AUD) once the current unit has a slice.
    fn access_units<'a>(nals: &[&'a [u8]], hevc: bool) -> Vec<Vec<&'a [u8]>> {
        let mut aus = Vec::new();
        let mut cur: Vec<&[u8]> = Vec::new();
        let mut has_vcl = false;
        for nal in nals {
            let (vcl, starts) = if hevc {
                let t = (nal[0] >> 1) & 0x3f;
                (
                    t < 32,
                    if t < 32 {
                        nal[2] & 0x80 != 0
                    } else {
                        matches!(t, 32..=35 | 39 | 41..=44 | 48..=55)
                    },
                )
            } else {
                let t = nal[0] & 0x1f;
                (
                    matches!(t, 1..=5),
                    if matches!(t, 1..=5) {
                        nal[1] & 0x80 != 0
                    } else {
                        matches!(t, 6..=9 | 14..=18)
                    },
                )
            };
            if starts && has_vcl {
                aus.push(std::mem::take(&mut cur));
                has_vcl = false;
            }
            cur.push(nal);
            has_vcl |= vcl;
        }
        if !cur.is_empty() {
            aus.push(cur);
        }
        aus
    }

    fn video_samples(track: u32, aus: &[Vec<&[u8]>], hevc: bool) -> Vec<Sample> {
        aus.iter()
            .enumerate()
            .map(|(i, au)| {
                let mut data = Vec::new();
                for nal in au {
                    data.extend_from_slice(&(nal.len() as u32).to_be_bytes());
                    data.extend_from_slice(nal);
                }
                let is_sync = au.iter().any(|n| {
                    if hevc {
                        (16..=21).contains(&((n[0] >> 1) & 0x3f))
                    } else {
                        n[0] & 0x1f == 5
                    }
                });
                Sample {
                    track,
                    dts: i as u64 * 3600,
                    duration: 3600,
                    cts_offset: 0,
                    is_sync,
                    data: data.into(),
                }
            })
            .collect()
    }

    fn first_nal<'a>(nals: &[&'a [u8]], pred: impl Fn(&[u8]) -> bool) -> &'a [u8] {
        nals.iter().copied().find(|n| pred(n)).unwrap()
    }

    fn avcc_from(nals: &[&[u8]]) -> Vec<u8> {
        let sps = first_nal(nals, |n| n[0] & 0x1f == 7);
        let pps = first_nal(nals, |n| n[0] & 0x1f == 8);
        let mut r = vec![1, sps[1], sps[2], sps[3], 0xff, 0xe1];
        r.extend_from_slice(&(sps.len() as u16).to_be_bytes());
        r.extend_from_slice(sps);
        r.push(1);
        r.extend_from_slice(&(pps.len() as u16).to_be_bytes());
        r.extend_from_slice(pps);
        r
    }

    fn hvcc_from(nals: &[&[u8]]) -> Vec<u8> {
        let of = |t: u8| first_nal(nals, move |n| (n[0] >> 1) & 0x3f == t);
        // SPS RBSP (emulation prevention removed): 2-byte header, 1 byte ids, then
        // profile_tier_level's first 12 bytes (profile space/tier/idc, compat flags, constraints, level).
        let mut rbsp = Vec::new();
        for (i, &b) in of(33).iter().enumerate() {
            if !(b == 3 && i >= 2 && rbsp.ends_with(&[0, 0])) {
                rbsp.push(b);
            }
        }
        let mut r = vec![1];
        r.extend_from_slice(&rbsp[3..15]);
        r.extend_from_slice(&[0xf0, 0x00, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 3]);
        for t in [32, 33, 34] {
            let nal = of(t);
            r.extend_from_slice(&[0x80 | t, 0, 1]);
            r.extend_from_slice(&(nal.len() as u16).to_be_bytes());
            r.extend_from_slice(nal);
        }
        r
    }

    /// ADTS frames → (AudioSpecificConfig, raw access units).
    fn adts_frames(data: &[u8]) -> (Vec<u8>, Vec<&[u8]>) {
        let mut aus = Vec::new();
        let mut asc = Vec::new();
        let mut pos = 0;
        while pos + 7 <= data.len() {
            let h = &data[pos..];
            assert_eq!((h[0], h[1] & 0xf0), (0xff, 0xf0), "ADTS sync");
            let header = if h[1] & 1 == 1 { 7 } else { 9 };
            let len =
                (usize::from(h[3] & 3) << 11) | (usize::from(h[4]) << 3) | usize::from(h[5] >> 5);
            let (aot, sfi, chan) = (
                (h[2] >> 6) + 1,
                (h[2] >> 2) & 0xf,
                ((h[2] & 1) << 2) | (h[3] >> 6),
            );
            asc = vec![(aot << 3) | (sfi >> 1), ((sfi & 1) << 7) | (chan << 3)];
            aus.push(&data[pos + header..pos + len]);
            pos += len;
        }
        (asc, aus)
    }

    fn audio_samples(track: u32, aus: &[&[u8]], duration: impl Fn(&[u8]) -> u32) -> Vec<Sample> {
        let mut dts = 0;
        aus.iter()
            .map(|au| {
                let s = sample(track, dts, duration(au), true, au);
                dts += u64::from(s.duration);
                s
            })
            .collect()
    }

    struct Probed {
        codec: String,
        width: Option<u32>,
        height: Option<u32>,
        frames: u64,
    }

    /// Writes the segment, runs ffprobe (JSON) and a full decode, returns the streams.
    fn probe(dir: &Path, segment: &[u8]) -> Vec<Probed> {
        let path = dir.join("segment.mp4");
        std::fs::write(&path, segment).unwrap();
        let out = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_streams",
                "-count_frames",
                "-of",
                "json",
            ])
            .arg(&path)
            .output()
            .unwrap();
        let json = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "ffprobe: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dec = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-f", "null", "-"])
            .output()
            .unwrap();
        assert!(
            dec.status.success() && dec.stderr.is_empty(),
            "ffmpeg decode: {}",
            String::from_utf8_lossy(&dec.stderr)
        );
        // ffprobe's pretty JSON: one object per stream, each starting with "index".
        json.split("\"index\":")
            .skip(1)
            .map(|s| {
                let field = |k: &str| {
                    let at = s.find(&format!("\"{k}\": "))? + k.len() + 4;
                    let v = &s[at..];
                    let end = v.find([',', '\n']).unwrap_or(v.len());
                    Some(v[..end].trim_matches('"').to_string())
                };
                Probed {
                    codec: field("codec_name").unwrap(),
                    width: field("width").map(|w| w.parse().unwrap()),
                    height: field("height").map(|h| h.parse().unwrap()),
                    frames: field("nb_read_frames").unwrap().parse().unwrap(),
                }
            })
            .collect()
    }

    /// The init segment followed by one fragment (sequence 1, 2, …) per group of samples.
    fn segment(tracks: &[Track], fragments: &[Vec<Sample>]) -> Vec<u8> {
        let mut file = init_segment(tracks).unwrap();
        for (i, f) in fragments.iter().enumerate() {
            file.extend(fragment(i as u32 + 1, tracks, f).unwrap());
        }
        file
    }

    /// Splits samples at 1 s of each track's time (the video has a keyframe there: -g 25).
    fn two_fragments(tracks: &[Track], samples: Vec<Sample>) -> Vec<Vec<Sample>> {
        let (a, b) = samples.into_iter().partition(|s| {
            let ts = tracks.iter().find(|t| t.id == s.track).unwrap().timescale;
            s.dts < u64::from(ts)
        });
        vec![a, b]
    }

    const X264: &[&str] = &[
        "-c:v",
        "libx264",
        "-profile:v",
        "main",
        "-pix_fmt",
        "yuv420p",
        "-bf",
        "0",
        "-g",
        "25",
    ];
    const TESTSRC: &str = "testsrc=size=320x240:rate=25";

    #[test]
    fn ffprobe_h264_two_fragments() {
        if !ffmpeg_available() {
            return;
        }
        let dir = TempDir::new("h264");
        let es = generate(
            &dir.0,
            TESTSRC,
            &[X264, &["-bsf:v", "h264_mp4toannexb", "-f", "h264"]].concat(),
            "v.h264",
        );
        let nals = annexb_nals(&es);
        let samples = video_samples(1, &access_units(&nals, false), false);
        assert_eq!(samples.len(), 50);
        assert!(samples[0].is_sync && samples[25].is_sync && !samples[1].is_sync);
        let tracks = [track(1, h264(avcc_from(&nals)))];
        let file = segment(&tracks, &two_fragments(&tracks, samples));
        let p = probe(&dir.0, &file);
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].codec.as_str(), p[0].width, p[0].height, p[0].frames),
            ("h264", Some(320), Some(240), 50)
        );
    }

    #[test]
    fn ffprobe_hevc_and_aac() {
        if !ffmpeg_available() {
            return;
        }
        let dir = TempDir::new("hevc");
        let x265 = [
            "-c:v",
            "libx265",
            "-pix_fmt",
            "yuv420p",
            "-x265-params",
            "log-level=error:bframes=0:keyint=25",
            "-f",
            "hevc",
        ];
        let es = generate(&dir.0, TESTSRC, &x265, "v.hevc");
        let nals = annexb_nals(&es);
        let mut samples = video_samples(1, &access_units(&nals, true), true);
        assert_eq!(samples.len(), 50);
        assert!(samples[0].is_sync && samples[25].is_sync);
        let adts = generate(
            &dir.0,
            "sine=frequency=440:sample_rate=16000",
            &["-c:a", "aac", "-f", "adts"],
            "a.aac",
        );
        let (asc, aus) = adts_frames(&adts);
        samples.extend(audio_samples(2, &aus, |_| 1024));
        let hevc = Codec::H265 {
            hvcc: hvcc_from(&nals),
            width: 320,
            height: 240,
        };
        let tracks = [track(1, hevc), track(2, aac(asc, 16000))];
        let file = segment(&tracks, &two_fragments(&tracks, samples));
        let p = probe(&dir.0, &file);
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].codec.as_str(), p[0].width, p[0].height, p[0].frames),
            ("hevc", Some(320), Some(240), 50)
        );
        assert_eq!(
            (p[1].codec.as_str(), p[1].frames),
            ("aac", aus.len() as u64)
        );
    }

    #[test]
    fn ffprobe_h264_and_g711() {
        if !ffmpeg_available() {
            return;
        }
        for (alaw, codec, fmt) in [(true, "pcm_alaw", "alaw"), (false, "pcm_mulaw", "mulaw")] {
            let dir = TempDir::new(fmt);
            let es = generate(
                &dir.0,
                TESTSRC,
                &[X264, &["-bsf:v", "h264_mp4toannexb", "-f", "h264"]].concat(),
                "v.h264",
            );
            let nals = annexb_nals(&es);
            let mut samples = video_samples(1, &access_units(&nals, false), false);
            let pcm = generate(
                &dir.0,
                "sine=frequency=440:sample_rate=8000",
                &["-c:a", codec, "-f", fmt],
                "a.g711",
            );
            let chunks: Vec<&[u8]> = pcm.chunks(160).collect(); // 20 ms packets, as cameras send them
            samples.extend(audio_samples(2, &chunks, |c| c.len() as u32));
            let g711 = Codec::G711 {
                alaw,
                sample_rate: 8000,
                channels: 1,
            };
            let tracks = [track(1, h264(avcc_from(&nals))), track(2, g711)];
            let file = segment(&tracks, &[samples]);
            let p = probe(&dir.0, &file);
            assert_eq!(p.len(), 2);
            assert_eq!((p[0].codec.as_str(), p[0].frames), ("h264", 50));
            assert_eq!(
                (p[1].codec.as_str(), p[1].frames),
                (codec, chunks.len() as u64)
            );
        }
    }
}
