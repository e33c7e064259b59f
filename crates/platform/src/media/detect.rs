//! What a file is, told by its first bytes (magic numbers), never by its name or the type the
//! client claimed. A table of six signatures; see `docs/decisions/0014-storage-and-media.md` for
//! why not the `infer` crate.

/// The kinds of file Agora accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
    Gif,
    Mp4,
    Webm,
}

/// Bytes enough to recognise every kind.
pub const SNIFF_LEN: usize = 16;

impl Kind {
    /// Recognises the kind from the start of the file (at least [`SNIFF_LEN`] bytes when the
    /// file is that long).
    pub fn sniff(head: &[u8]) -> Option<Kind> {
        match head {
            [0xFF, 0xD8, 0xFF, ..] => Some(Kind::Jpeg),
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Kind::Png),
            [
                b'R',
                b'I',
                b'F',
                b'F',
                _,
                _,
                _,
                _,
                b'W',
                b'E',
                b'B',
                b'P',
                ..,
            ] => Some(Kind::Webp),
            [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(Kind::Gif),
            // ISO base media: a box `ftyp` first, with a brand of MP4 or QuickTime-compatible
            // video (`isom`, `mp41`, `mp42`, `avc1`, `M4V `, `qt  `, ...).
            [_, _, _, _, b'f', b't', b'y', b'p', brand @ ..] if is_mp4_brand(brand) => {
                Some(Kind::Mp4)
            }
            // EBML header (Matroska/WebM); the doc type is checked by looking for `webm`.
            [0x1A, 0x45, 0xDF, 0xA3, ..] if contains(head, b"webm") => Some(Kind::Webm),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
            Kind::Gif => "image/gif",
            Kind::Mp4 => "video/mp4",
            Kind::Webm => "video/webm",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
            Kind::Webp => "webp",
            Kind::Gif => "gif",
            Kind::Mp4 => "mp4",
            Kind::Webm => "webm",
        }
    }

    pub fn is_image(self) -> bool {
        !matches!(self, Kind::Mp4 | Kind::Webm)
    }
}

/// Whether the four bytes after `ftyp` (the major brand) name MP4 or QuickTime-compatible video.
pub(crate) fn is_mp4_brand(brand: &[u8]) -> bool {
    const BRANDS: &[&[u8; 4]] = &[
        b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"qt  ",
        b"dash", b"mmp4",
    ];
    brand.len() >= 4 && BRANDS.iter().any(|b| &brand[..4] == *b)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_told_by_their_bytes() {
        assert_eq!(
            Kind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(Kind::Jpeg)
        );
        assert_eq!(
            Kind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"),
            Some(Kind::Png)
        );
        assert_eq!(Kind::sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(Kind::Webp));
        assert_eq!(Kind::sniff(b"GIF89a\x01\0\x01\0"), Some(Kind::Gif));
        assert_eq!(Kind::sniff(b"\0\0\0\x18ftypmp42\0\0\0\0"), Some(Kind::Mp4));
        assert_eq!(
            Kind::sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm"),
            Some(Kind::Webm)
        );
    }

    #[test]
    fn other_files_are_not_recognised() {
        for head in [
            &b""[..],
            b"hello, this is text",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\">",
            b"%PDF-1.7\n",
            b"RIFF\x10\0\0\0WAVEfmt ",
            b"\0\0\0\x18ftypheic\0\0\0\0",
            b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01matroska",
            b"\xFF\xD8",
        ] {
            assert_eq!(Kind::sniff(head), None, "{head:?}");
        }
    }
}
