//! The bytes media tests upload: multipart bodies, images (gradients, noise, EXIF, bombs),
//! and MP4 and WebM files built box by box and element by element.

use std::io::Cursor;

use agora_testkit::TestApp;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One part of a multipart body: field name, file name, declared type, bytes.
pub(super) struct Part<'a>(
    pub(super) &'a str,
    pub(super) &'a str,
    pub(super) &'a str,
    pub(super) Vec<u8>,
);

pub(super) fn file(
    name: &'static str,
    content_type: &'static str,
    bytes: Vec<u8>,
) -> Part<'static> {
    Part("file", name, content_type, bytes)
}

pub(super) fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "agora-test-boundary-7d1f";
    let mut body = Vec::new();
    for Part(field, filename, content_type, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub(super) fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), format)
        .expect("the test image encodes");
    bytes
}

pub(super) fn gradient(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    }))
}

/// Pixels that do not compress: a PNG of them is about 3 bytes a pixel.
pub(super) fn noise(width: u32, height: u32) -> DynamicImage {
    let mut state: u32 = 0x1234_5678;
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        Rgb([a, b, c])
    }))
}

/// An MP4 box: 32-bit size, four-letter type, content.
pub(super) fn mp4_box(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(content.len() + 8)
        .expect("a box under 4 GiB")
        .to_be_bytes()
        .to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(content);
    out
}

/// The smallest MP4 the server accepts: `ftyp` (major brand `isom`, minor version 512,
/// compatible brand `isom`), a `moov` holding an `mvhd` (a version 0 header, zeroed: 100 bytes)
/// and a `trak` with an empty `mdia`, then an `mdat` of `payload` bytes. Players would find no
/// samples in it; the server checks structure, not playability.
pub(super) fn mp4(payload: usize) -> Vec<u8> {
    let mut out = mp4_box(b"ftyp", b"isom\0\0\x02\0isom");
    let trak = mp4_box(b"trak", &mp4_box(b"mdia", &[]));
    out.extend(mp4_box(
        b"moov",
        &[mp4_box(b"mvhd", &[0u8; 100]), trak].concat(),
    ));
    out.extend(mp4_box(b"mdat", &vec![0x5A; payload]));
    out
}

/// An EBML element: its id as written (1–4 bytes), an 8-byte size (`0x01` then 7 bytes), its
/// content.
pub(super) fn ebml(id: u32, content: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = id
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    out.push(0x01);
    out.extend_from_slice(&(content.len() as u64).to_be_bytes()[1..]);
    out.extend_from_slice(content);
    out
}

/// The EBML header of a WebM file: DocType (0x4282) `webm`.
pub(super) fn webm_header() -> Vec<u8> {
    ebml(0x1A45_DFA3, &ebml(0x4282, b"webm"))
}

/// The smallest WebM the server accepts: the header, then a Segment (0x18538067) with Info
/// (0x1549A966, holding TimestampScale 0x2AD7B1 = 1,000,000), Tracks (0x1654AE6B, one empty
/// TrackEntry 0xAE) and a Cluster (0x1F43B675) with a Timestamp (0xE7) and a SimpleBlock (0xA3)
/// of `payload` bytes.
pub(super) fn webm(payload: usize) -> Vec<u8> {
    let cluster = [ebml(0xE7, &[0]), ebml(0xA3, &vec![0x5A; payload])].concat();
    let segment = [
        ebml(0x1549_A966, &ebml(0x2A_D7B1, &[0x0F, 0x42, 0x40])),
        ebml(0x1654_AE6B, &ebml(0xAE, &[])),
        ebml(0x1F43_B675, &cluster),
    ]
    .concat();
    [webm_header(), ebml(0x1853_8067, &segment)].concat()
}

/// `len` bytes that look random (xorshift), the same on every run.
pub(super) fn random_bytes(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

pub(super) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A JPEG with an EXIF APP1 segment holding a GPS position (48°51'N), built by hand: a TIFF
/// header, IFD0 with the GPSInfo pointer, and the GPS IFD with GPSLatitudeRef and GPSLatitude.
pub(super) fn jpeg_with_gps() -> Vec<u8> {
    let jpeg = encode(gradient(320, 240), ImageFormat::Jpeg);
    let mut tiff: Vec<u8> = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes()); // IFD0 at 8
    // IFD0: one entry, GPSInfo (0x8825, LONG) → the GPS IFD at 26.
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x8825u16.to_le_bytes());
    tiff.extend_from_slice(&4u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&26u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    // GPS IFD at 26: GPSLatitudeRef "N", GPSLatitude (3 RATIONALs at 56).
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&2u32.to_le_bytes());
    tiff.extend_from_slice(b"N\0\0\0");
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&5u16.to_le_bytes());
    tiff.extend_from_slice(&3u32.to_le_bytes());
    tiff.extend_from_slice(&56u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(tiff.len(), 56);
    for (numerator, denominator) in [(48u32, 1u32), (51, 1), (2424, 100)] {
        tiff.extend_from_slice(&numerator.to_le_bytes());
        tiff.extend_from_slice(&denominator.to_le_bytes());
    }
    with_exif(&jpeg, &tiff)
}

/// `jpeg` with an EXIF APP1 segment holding `tiff` right after its SOI marker.
pub(super) fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(tiff);
    let length = u16::try_from(app1.len() + 2).expect("a short segment");
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A 40 × 20 JPEG whose EXIF orientation (6) says: turn 90° clockwise to show it.
pub(super) fn jpeg_rotated() -> Vec<u8> {
    let jpeg = encode(gradient(40, 20), ImageFormat::Jpeg);
    let mut tiff: Vec<u8> = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation, SHORT, 1 value
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&6u16.to_le_bytes());
    tiff.extend_from_slice(&0u16.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    with_exif(&jpeg, &tiff)
}

pub(super) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub(super) fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).expect("small").to_be_bytes());
    let mut checked = kind.to_vec();
    checked.extend_from_slice(data);
    out.extend_from_slice(&checked);
    out.extend_from_slice(&crc32(&checked).to_be_bytes());
}

/// A decompression bomb: a valid PNG of a few hundred bytes whose header declares 50,000 ×
/// 50,000 RGB pixels (7.5 GB decoded), with a small zlib stream (one stored block of zeros) as
/// its only IDAT.
pub(super) fn png_bomb() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    png_chunk(&mut png, b"IHDR", &ihdr);
    let data = [0u8; 256];
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend_from_slice(&256u16.to_le_bytes());
    zlib.extend_from_slice(&(!256u16).to_le_bytes());
    zlib.extend_from_slice(&data);
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    png_chunk(&mut png, b"IDAT", &zlib);
    png_chunk(&mut png, b"IEND", &[]);
    png
}

/// Sends a raw request line, as a browser-less attacker would, without the client normalising
/// `..` or `%2e%2e` away; returns the status.
pub(super) async fn raw_get(app: &TestApp, path: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(app.address())
        .await
        .expect("connects");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("writes");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("reads");
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text}"))
}

pub(super) async fn fetch(app: &TestApp, url: &str) -> agora_testkit::TestResponse {
    app.get(url).send().await
}
