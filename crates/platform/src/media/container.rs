//! The structure of a video file, walked over all of its bytes: a magic number says what a
//! file claims to be, this says whether the rest of it is built like one. Random bytes behind a
//! valid MP4 or WebM header fail here, because their "box" or "element" sizes do not add up.
//!
//! - **MP4** (ISO base media, ISO/IEC 14496-12): a sequence of boxes (`size`, `type`; `size` 1
//!   means a 64-bit size follows, 0 means "to the end of the file"). The first box is `ftyp`
//!   with a known brand; every top-level type is one the format defines; every size ends inside
//!   its parent; there is an `mdat` and a `moov` with an `mvhd` and a `trak`, and the boxes inside `moov`
//!   (and its container boxes: `trak`, `mdia`, `minf`, `stbl`, `edts`, `dinf`, `mvex`) are
//!   walked the same way.
//! - **WebM** (EBML, RFC 8794, with Matroska's elements): an EBML header whose `DocType` is
//!   `webm`, then a `Segment` whose children are elements Matroska defines at that level, each
//!   within the Segment, with `Tracks` among them. Sizes may be "unknown" (all ones) for a
//!   Segment and a Cluster, as browsers' `MediaRecorder` writes them: such a Cluster ends at the
//!   first element that cannot be inside a Cluster.
//!
//! What this does not do: decode media. The payload (`mdat`, blocks) is opaque, so a well-formed
//! file may still carry frames that no player can decode. See
//! `docs/decisions/0014-storage-and-media.md` for why a walker of our own and not a crate.

use super::Kind;

/// Why a file is not well-formed; the text is meant for the uploader.
pub type Malformed = String;

/// Walks the file of a video `kind` (images are checked by decoding them); `Ok` for images.
pub fn check(kind: Kind, bytes: &[u8]) -> Result<(), Malformed> {
    match kind {
        Kind::Mp4 => check_mp4(bytes).map_err(|why| format!("not a well-formed MP4 file: {why}")),
        Kind::Webm => {
            check_webm(bytes).map_err(|why| format!("not a well-formed WebM file: {why}"))
        }
        Kind::Jpeg | Kind::Png | Kind::Webp | Kind::Gif => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// MP4

/// Boxes ISO/IEC 14496-12 (and QuickTime, for `wide`/`pnot`) allows at the top level.
const MP4_TOP_LEVEL: &[&[u8; 4]] = &[
    b"ftyp", b"styp", b"moov", b"mdat", b"moof", b"mfra", b"free", b"skip", b"wide", b"uuid",
    b"meta", b"pdin", b"sidx", b"ssix", b"prft", b"emsg", b"udta", b"pnot", b"junk",
];

/// Boxes whose content is only boxes, walked in turn.
const MP4_CONTAINERS: &[&[u8; 4]] = &[
    b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"mvex",
];

/// One box: its type and where its content lies in the file.
struct Mp4Box {
    kind: [u8; 4],
    start: usize,
    content: usize,
    end: usize,
}

impl Mp4Box {
    fn name(&self) -> String {
        String::from_utf8_lossy(&self.kind).into_owned()
    }
}

/// The boxes of `bytes[from..to]`, in order, each checked to end within it.
fn mp4_boxes(bytes: &[u8], from: usize, to: usize) -> Result<Vec<Mp4Box>, String> {
    let mut boxes = Vec::new();
    let mut at = from;
    while at < to {
        let header = bytes
            .get(at..at + 8)
            .filter(|_| at + 8 <= to)
            .ok_or_else(|| format!("a box header at byte {at} is cut off"))?;
        let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = [header[4], header[5], header[6], header[7]];
        if !kind.iter().all(|b| (0x20..=0x7E).contains(b)) {
            return Err(format!("the box at byte {at} has no valid type"));
        }
        let (size, content) = match size32 {
            // The box runs to the end of what contains it.
            0 => (to - at, at + 8),
            1 => {
                let large = bytes
                    .get(at + 8..at + 16)
                    .filter(|_| at + 16 <= to)
                    .ok_or_else(|| format!("the 64-bit size of the box at byte {at} is cut off"))?;
                let mut be = [0u8; 8];
                be.copy_from_slice(large);
                let size = usize::try_from(u64::from_be_bytes(be)).unwrap_or(usize::MAX);
                (size, at + 16)
            }
            n => (n as usize, at + 8),
        };
        let end = at
            .checked_add(size)
            .filter(|end| *end <= to && *end >= content);
        let Some(end) = end else {
            return Err(format!(
                "the box `{}` at byte {at} claims {size} bytes, which do not fit in the {} bytes it has",
                String::from_utf8_lossy(&kind),
                to - at
            ));
        };
        boxes.push(Mp4Box {
            kind,
            start: at,
            content,
            end,
        });
        at = end;
    }
    Ok(boxes)
}

/// Walks the boxes inside a container box, and the containers among them, `depth` levels at most.
fn walk_mp4_container(bytes: &[u8], container: &Mp4Box, depth: u8) -> Result<(), String> {
    if depth == 0 {
        return Err(format!("boxes nest too deep at byte {}", container.start));
    }
    for child in mp4_boxes(bytes, container.content, container.end)? {
        if MP4_CONTAINERS.contains(&&child.kind) {
            walk_mp4_container(bytes, &child, depth - 1)?;
        }
    }
    Ok(())
}

fn check_mp4(bytes: &[u8]) -> Result<(), String> {
    let boxes = mp4_boxes(bytes, 0, bytes.len())?;
    let first = boxes.first().ok_or("the file is empty")?;
    if &first.kind != b"ftyp" {
        return Err("the first box is not `ftyp`".to_owned());
    }
    let brand = bytes.get(first.content..first.content + 4);
    if first.end < first.content + 8 || !brand.is_some_and(super::detect::is_mp4_brand) {
        return Err("the `ftyp` box does not name a known MP4 brand".to_owned());
    }
    for one in &boxes {
        if !MP4_TOP_LEVEL.contains(&&one.kind) {
            return Err(format!(
                "`{}` at byte {} is not a top-level MP4 box",
                one.name(),
                one.start
            ));
        }
    }
    let moov = boxes
        .iter()
        .find(|one| &one.kind == b"moov")
        .ok_or("it has no `moov` box (the description of its tracks)")?;
    // moov > trak > mdia > minf > stbl is the deepest chain that the walk descends.
    walk_mp4_container(bytes, moov, 6)?;
    let inside = mp4_boxes(bytes, moov.content, moov.end)?;
    if !inside.iter().any(|one| &one.kind == b"mvhd") {
        return Err("its `moov` box has no `mvhd` header".to_owned());
    }
    if !inside.iter().any(|one| &one.kind == b"trak") {
        return Err("its `moov` box has no track".to_owned());
    }
    if !boxes.iter().any(|one| &one.kind == b"mdat") {
        return Err("it has no `mdat` box (no media data)".to_owned());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// WebM

const EBML_HEADER: u32 = 0x1A45_DFA3;
const EBML_DOC_TYPE: u32 = 0x4282;
const EBML_VOID: u32 = 0xEC;
const EBML_CRC32: u32 = 0xBF;
const SEGMENT: u32 = 0x1853_8067;
const CLUSTER: u32 = 0x1F43_B675;
const TRACKS: u32 = 0x1654_AE6B;

/// Matroska's children of a Segment.
const SEGMENT_CHILDREN: &[u32] = &[
    0x114D_9B74, // SeekHead
    0x1549_A966, // Info
    TRACKS,
    CLUSTER,
    0x1C53_BB6B, // Cues
    0x1043_A770, // Chapters
    0x1254_C367, // Tags
    0x1941_A469, // Attachments
    EBML_VOID,
    EBML_CRC32,
];

/// Matroska's children of a Cluster (to tell where a Cluster of unknown size ends).
const CLUSTER_CHILDREN: &[u32] = &[
    0xE7,   // Timestamp
    0xA3,   // SimpleBlock
    0xA0,   // BlockGroup
    0xA7,   // Position
    0xAB,   // PrevSize
    0xAF,   // EncryptedBlock
    0x5854, // SilentTracks
    EBML_VOID, EBML_CRC32,
];

/// An EBML variable-length integer at `at`: its value (the length marker removed, or kept
/// for an element id) and its length in bytes; `None` if it is cut off or longer than
/// `max_len` bytes.
fn vint(bytes: &[u8], at: usize, max_len: usize, keep_marker: bool) -> Option<(u64, usize)> {
    let first = *bytes.get(at)?;
    let len = first.leading_zeros() as usize + 1;
    if len > max_len {
        return None;
    }
    let raw = bytes.get(at..at + len)?;
    // The value bits of the first byte: those after the marker (none when it is the 8th bit).
    let mut value = u64::from(if keep_marker {
        first
    } else {
        first & 0xFFu8.checked_shr(len as u32).unwrap_or(0)
    });
    for byte in &raw[1..] {
        value = (value << 8) | u64::from(*byte);
    }
    Some((value, len))
}

/// One element: its id, where its content starts, and where it ends (`None`: unknown size).
struct Element {
    id: u32,
    start: usize,
    content: usize,
    end: Option<usize>,
}

/// The element at `at`, whose content must end by `limit`.
fn element(bytes: &[u8], at: usize, limit: usize) -> Result<Element, String> {
    let (id, id_len) =
        vint(bytes, at, 4, true).ok_or_else(|| format!("no valid element id at byte {at}"))?;
    let (size, size_len) = vint(bytes, at + id_len, 8, false)
        .ok_or_else(|| format!("no valid element size at byte {}", at + id_len))?;
    let content = at + id_len + size_len;
    // All value bits set: the size is unknown.
    let unknown = size == (1u64 << (7 * size_len)) - 1;
    let id = u32::try_from(id).unwrap_or(u32::MAX);
    let end = if unknown {
        None
    } else {
        let end = usize::try_from(size)
            .ok()
            .and_then(|size| content.checked_add(size))
            .filter(|end| *end <= limit)
            .ok_or_else(|| {
                format!(
                    "the element {id:#X} at byte {at} claims {size} bytes, which do not fit in the {} bytes it has",
                    limit.saturating_sub(content)
                )
            })?;
        Some(end)
    };
    if content > limit {
        return Err(format!("the element at byte {at} is cut off"));
    }
    Ok(Element {
        id,
        start: at,
        content,
        end,
    })
}

/// Walks the EBML header's children and returns its `DocType`.
fn doc_type(bytes: &[u8], header: &Element, end: usize) -> Result<Vec<u8>, String> {
    let mut at = header.content;
    let mut found = None;
    while at < end {
        let child = element(bytes, at, end)?;
        let child_end = child
            .end
            .ok_or("an element of the EBML header has an unknown size")?;
        if child.id == EBML_DOC_TYPE {
            found = Some(bytes[child.content..child_end].to_vec());
        }
        at = child_end;
    }
    found.ok_or_else(|| "the EBML header names no DocType".to_owned())
}

/// Walks a Cluster of unknown size from its content on; returns where it ends (at the first
/// element that is not a Cluster's child, or at `limit`).
fn unknown_size_cluster(bytes: &[u8], cluster: &Element, limit: usize) -> Result<usize, String> {
    let mut at = cluster.content;
    while at < limit {
        let child = element(bytes, at, limit)?;
        if !CLUSTER_CHILDREN.contains(&child.id) {
            return Ok(at);
        }
        at = child.end.ok_or_else(|| {
            format!(
                "the element {:#X} at byte {at} has an unknown size",
                child.id
            )
        })?;
    }
    Ok(limit)
}

fn check_segment(bytes: &[u8], segment: &Element, end: usize) -> Result<(), String> {
    let mut at = segment.content;
    let mut tracks = false;
    while at < end {
        let child = element(bytes, at, end)?;
        if !SEGMENT_CHILDREN.contains(&child.id) {
            return Err(format!(
                "the element {:#X} at byte {at} is not one a Segment holds",
                child.id
            ));
        }
        tracks |= child.id == TRACKS;
        at = match child.end {
            Some(child_end) => child_end,
            None if child.id == CLUSTER => unknown_size_cluster(bytes, &child, end)?,
            None => {
                return Err(format!(
                    "the element {:#X} at byte {} has an unknown size",
                    child.id, child.start
                ));
            }
        };
    }
    if tracks {
        Ok(())
    } else {
        Err("its Segment has no Tracks".to_owned())
    }
}

fn check_webm(bytes: &[u8]) -> Result<(), String> {
    let header = element(bytes, 0, bytes.len())?;
    if header.id != EBML_HEADER {
        return Err("it does not start with an EBML header".to_owned());
    }
    let header_end = header.end.ok_or("the EBML header has an unknown size")?;
    if doc_type(bytes, &header, header_end)? != b"webm" {
        return Err("its DocType is not `webm`".to_owned());
    }
    let mut at = header_end;
    let mut segments = 0;
    while at < bytes.len() {
        let top = element(bytes, at, bytes.len())?;
        match top.id {
            SEGMENT => {
                let end = top.end.unwrap_or(bytes.len());
                check_segment(bytes, &top, end)?;
                segments += 1;
                at = end;
            }
            EBML_VOID => {
                at = top
                    .end
                    .ok_or_else(|| format!("a Void element at byte {at} has an unknown size"))?;
            }
            other => {
                return Err(format!(
                    "the element {other:#X} at byte {at} is not a Segment"
                ));
            }
        }
    }
    if segments == 0 {
        return Err("it has no Segment".to_owned());
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;

    /// An MP4 box: 32-bit size, type, content.
    pub fn mp4_box(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(content.len() + 8)
            .expect("a small box")
            .to_be_bytes()
            .to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(content);
        out
    }

    /// The smallest MP4 the walker accepts: `ftyp` (brand `isom`, version 0, compatible `isom`),
    /// `moov` holding an `mvhd` (100 bytes of version 0 header) and a `trak` with an empty
    /// `mdia`, then an `mdat` of `payload` bytes.
    pub fn minimal_mp4(payload: usize) -> Vec<u8> {
        let mut out = mp4_box(b"ftyp", b"isom\0\0\x02\0isom");
        let trak = mp4_box(b"trak", &mp4_box(b"mdia", &[]));
        let moov = [mp4_box(b"mvhd", &[0u8; 100]), trak].concat();
        out.extend(mp4_box(b"moov", &moov));
        out.extend(mp4_box(b"mdat", &vec![0x5A; payload]));
        out
    }

    /// An EBML element: its id as written, an 8-byte size (`0x01` and 7 bytes), its content.
    pub fn ebml(id: u32, content: &[u8]) -> Vec<u8> {
        let mut out: Vec<u8> = id
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        // An 8-byte size: 0x01 then 7 bytes of length.
        out.push(0x01);
        out.extend_from_slice(&(content.len() as u64).to_be_bytes()[1..]);
        out.extend_from_slice(content);
        out
    }

    /// The smallest WebM the walker accepts: an EBML header with DocType `webm`, and a Segment
    /// holding Info, Tracks (one empty TrackEntry) and a Cluster with a Timestamp and a
    /// SimpleBlock of `payload` bytes.
    pub fn minimal_webm(payload: usize) -> Vec<u8> {
        let mut out = ebml(EBML_HEADER, &ebml(EBML_DOC_TYPE, b"webm"));
        let cluster = [ebml(0xE7, &[0]), ebml(0xA3, &vec![0x5A; payload])].concat();
        let segment = [
            ebml(0x1549_A966, &ebml(0x2AD7B1, &[0x0F, 0x42, 0x40])),
            ebml(TRACKS, &ebml(0xAE, &[])),
            ebml(CLUSTER, &cluster),
        ]
        .concat();
        out.extend(ebml(SEGMENT, &segment));
        out
    }

    #[test]
    fn a_minimal_mp4_is_well_formed() {
        assert_eq!(check(Kind::Mp4, &minimal_mp4(1000)), Ok(()));
    }

    #[test]
    fn an_mp4_box_with_a_64_bit_size_or_running_to_the_end_is_understood() {
        let mut file = minimal_mp4(0);
        // Replace the empty mdat with one of 64-bit size, then add one "to the end of file".
        file.truncate(file.len() - 8);
        file.extend_from_slice(&1u32.to_be_bytes());
        file.extend_from_slice(b"mdat");
        file.extend_from_slice(&(16u64 + 4).to_be_bytes());
        file.extend_from_slice(&[1, 2, 3, 4]);
        file.extend_from_slice(&0u32.to_be_bytes());
        file.extend_from_slice(b"free");
        file.extend_from_slice(&[0; 30]);
        assert_eq!(check(Kind::Mp4, &file), Ok(()));
    }

    #[test]
    fn random_bytes_behind_an_mp4_header_are_refused() {
        let mut file = mp4_box(b"ftyp", b"mp42\0\0\0\0mp42isom");
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            file.push(state as u8);
        }
        let refused = check(Kind::Mp4, &file).expect_err("garbage");
        assert!(
            refused.starts_with("not a well-formed MP4 file"),
            "{refused}"
        );
    }

    #[test]
    fn broken_mp4s_are_refused_with_the_reason() {
        let good = minimal_mp4(100);
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (good[..good.len() - 1].to_vec(), "do not fit"),
            ([good.clone(), vec![0, 0, 0]].concat(), "cut off"),
            (good[good.len() - 108..].to_vec(), "first box is not `ftyp`"),
            (
                [
                    mp4_box(b"ftyp", b"isom\0\0\0\0"),
                    mp4_box(b"mdat", &[1; 10]),
                ]
                .concat(),
                "no `moov`",
            ),
            (
                [mp4_box(b"ftyp", b"heic\0\0\0\0"), good[20..].to_vec()].concat(),
                "brand",
            ),
            (
                [good.clone(), mp4_box(b"abcd", &[])].concat(),
                "not a top-level",
            ),
            (
                [
                    mp4_box(b"ftyp", b"isom\0\0\0\0"),
                    mp4_box(b"moov", &mp4_box(b"trak", &[])),
                ]
                .concat(),
                "no `mvhd`",
            ),
            (
                [
                    mp4_box(b"ftyp", b"isom\0\0\0\0"),
                    // A trak whose child claims more than the trak holds.
                    mp4_box(
                        b"moov",
                        &[
                            mp4_box(b"mvhd", &[0; 100]),
                            mp4_box(b"trak", &[0, 0, 0, 50, b'm', b'd', b'i', b'a']),
                        ]
                        .concat(),
                    ),
                ]
                .concat(),
                "do not fit",
            ),
        ];
        for (file, reason) in cases {
            let refused = check(Kind::Mp4, &file).expect_err(reason);
            assert!(refused.contains(reason), "{refused} (wanted: {reason})");
        }
    }

    #[test]
    fn a_minimal_webm_is_well_formed() {
        assert_eq!(check(Kind::Webm, &minimal_webm(1000)), Ok(()));
    }

    #[test]
    fn a_webm_of_unknown_sizes_as_media_recorder_writes_is_understood() {
        let header = ebml(EBML_HEADER, &ebml(EBML_DOC_TYPE, b"webm"));
        // Segment and Cluster of unknown size (one-byte size 0xFF), two clusters in a row.
        let mut file = header;
        file.extend_from_slice(&[0x18, 0x53, 0x80, 0x67, 0xFF]);
        file.extend(ebml(0x1549_A966, &[]));
        file.extend(ebml(TRACKS, &ebml(0xAE, &[])));
        for _ in 0..2 {
            file.extend_from_slice(&[0x1F, 0x43, 0xB6, 0x75, 0xFF]);
            file.extend(ebml(0xE7, &[0]));
            file.extend(ebml(0xA3, &[0x81, 0, 0, 0x80, 1, 2, 3]));
        }
        file.extend(ebml(0x1C53_BB6B, &[]));
        assert_eq!(check(Kind::Webm, &file), Ok(()));
    }

    #[test]
    fn broken_webms_are_refused_with_the_reason() {
        let good = minimal_webm(100);
        let header = ebml(EBML_HEADER, &ebml(EBML_DOC_TYPE, b"webm"));
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (good[..good.len() - 1].to_vec(), "do not fit"),
            (
                [
                    ebml(EBML_HEADER, &ebml(EBML_DOC_TYPE, b"matroska")),
                    good[header.len()..].to_vec(),
                ]
                .concat(),
                "DocType",
            ),
            (header.clone(), "no Segment"),
            (
                [header.clone(), ebml(SEGMENT, &ebml(CLUSTER, &[]))].concat(),
                "no Tracks",
            ),
            (
                [header.clone(), ebml(SEGMENT, &ebml(0x4444, &[]))].concat(),
                "not one a Segment holds",
            ),
            ([good.clone(), ebml(0xA3, &[1])].concat(), "not a Segment"),
            (
                [good.clone(), vec![0x00, 0x01]].concat(),
                "no valid element id",
            ),
        ];
        for (file, reason) in cases {
            let refused = check(Kind::Webm, &file).expect_err(reason);
            assert!(refused.contains(reason), "{refused} (wanted: {reason})");
        }
    }

    #[test]
    fn random_bytes_behind_a_webm_header_are_refused() {
        let mut file = ebml(EBML_HEADER, &ebml(EBML_DOC_TYPE, b"webm"));
        file.extend_from_slice(&[0x18, 0x53, 0x80, 0x67, 0xFF]);
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            file.push(state as u8);
        }
        assert!(check(Kind::Webm, &file).is_err());
    }

    #[test]
    fn vints_are_read_with_and_without_their_marker() {
        assert_eq!(vint(&[0x81], 0, 8, false), Some((1, 1)));
        assert_eq!(vint(&[0x40, 0x02], 0, 8, false), Some((2, 2)));
        assert_eq!(
            vint(&[0x1A, 0x45, 0xDF, 0xA3], 0, 4, true),
            Some((0x1A45_DFA3, 4))
        );
        assert_eq!(vint(&[0x00, 0x01], 0, 8, false), None);
        assert_eq!(vint(&[0x08, 0, 0, 0, 0], 0, 4, true), None);
        assert_eq!(vint(&[0x40], 0, 8, false), None);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = check(Kind::Mp4, &bytes);
            let _ = check(Kind::Webm, &bytes);
        }

        #[test]
        fn arbitrary_bytes_behind_valid_headers_never_panic(
            tail in proptest::collection::vec(any::<u8>(), 0..512),
        ) {
            let mp4 = [mp4_box(b"ftyp", b"isom\0\0\0\0"), tail.clone()].concat();
            let _ = check(Kind::Mp4, &mp4);
            let webm = [ebml(EBML_HEADER, &ebml(EBML_DOC_TYPE, b"webm")), tail].concat();
            let _ = check(Kind::Webm, &webm);
        }

        #[test]
        fn every_cut_of_a_valid_file_is_refused_without_panic(cut in 0usize..300) {
            let mp4 = minimal_mp4(100);
            prop_assert!(check(Kind::Mp4, &mp4[..cut.min(mp4.len() - 1)]).is_err());
            let webm = minimal_webm(100);
            prop_assert!(check(Kind::Webm, &webm[..cut.min(webm.len() - 1)]).is_err());
        }
    }
}
