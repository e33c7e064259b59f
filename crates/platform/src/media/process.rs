//! The image pipeline: decode within limits, turn upright, re-encode without metadata, make
//! thumbnails. Pure and synchronous (CPU-bound): callers run it on the blocking pool.
//!
//! Re-encoding is what strips metadata: the encoders write pixels and nothing else, so EXIF (GPS,
//! camera serials), XMP, comments and text chunks of the upload are gone. The choices (see
//! `docs/decisions/0014-storage-and-media.md`): JPEG stays JPEG (quality 85), PNG stays PNG, WebP
//! becomes JPEG (PNG when it has transparency) because the `image` crate's WebP encoder is
//! lossless only, GIF becomes a PNG of its first frame. JPEG is written by `jpeg-encoder`
//! (faster than `image`'s encoder), PNG by `image`.

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use super::detect::Kind;

/// Longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 10_000;
/// Most pixels accepted (a 24-megapixel phone photo is 6000 × 4000).
pub const MAX_PIXELS: u64 = 40_000_000;
/// Most memory the decoder may allocate: a 40-megapixel RGBA image is 160 MB.
pub const MAX_DECODER_ALLOC: u64 = 192 * 1024 * 1024;
/// The thumbnails made of every image: the longest side, in pixels. None is larger than the
/// image itself (never upscaled): for those sizes the original stands in.
pub const THUMBNAIL_SIZES: [u32; 3] = [64, 256, 1024];
/// JPEG quality of re-encoded photos and their thumbnails.
pub const JPEG_QUALITY: u8 = 85;

/// An encoded image ready to store.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub kind: Kind,
    pub width: u32,
    pub height: u32,
}

/// The re-encoded original and its thumbnails (only those smaller than the original).
#[derive(Debug, Clone)]
pub struct Processed {
    pub original: Encoded,
    /// `(size, image)`, smallest first.
    pub thumbnails: Vec<(u32, Encoded)>,
}

/// Why an image was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcessError {
    #[error(
        "the image is {width} × {height} pixels; at most {MAX_SIDE} pixels a side and {MAX_PIXELS} pixels are accepted"
    )]
    TooLarge { width: u32, height: u32 },
    #[error("the image exceeds the decoder's limits")]
    Limits,
    #[error("the image could not be decoded: {0}")]
    Undecodable(String),
    #[error("the image could not be encoded: {0}")]
    Encoding(String),
}

impl ProcessError {
    fn from_image(err: image::ImageError) -> ProcessError {
        match err {
            image::ImageError::Limits(_) => ProcessError::Limits,
            other => ProcessError::Undecodable(other.to_string()),
        }
    }
}

/// Decodes `bytes` (of a `kind` already recognised by its magic number), checks its size,
/// applies its orientation and re-encodes it and its thumbnails.
pub fn process_image(bytes: &[u8], kind: Kind) -> Result<Processed, ProcessError> {
    let format = match kind {
        Kind::Jpeg => ImageFormat::Jpeg,
        Kind::Png => ImageFormat::Png,
        Kind::Webp => ImageFormat::WebP,
        Kind::Gif => ImageFormat::Gif,
        Kind::Mp4 | Kind::Webm => {
            return Err(ProcessError::Undecodable("not an image".to_owned()));
        }
    };
    // The limits make the decoder refuse, from the header alone, an image whose pixels would
    // not fit: a decompression bomb (a small file declaring 50,000 × 50,000 pixels) costs a
    // header read, never the gigabytes it declares.
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODER_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|err| match err {
        image::ImageError::Limits(_) => too_large_or_limits(bytes, kind),
        other => ProcessError::Undecodable(other.to_string()),
    })?;
    let (width, height) = decoder.dimensions();
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ProcessError::TooLarge { width, height });
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(ProcessError::from_image)?;
    image.apply_orientation(orientation);

    let output = match kind {
        Kind::Jpeg => Kind::Jpeg,
        Kind::Webp if !image.color().has_alpha() => Kind::Jpeg,
        _ => Kind::Png,
    };
    // The original is encoded on a second thread while this one makes the thumbnails: the
    // two take about the same time for a photo, and an upload is usually alone on its cores.
    let (original, thumbnails) = std::thread::scope(|scope| {
        let original = scope.spawn(|| encode(&image, output, false));
        let thumbnails = thumbnails(&image, output);
        let original = original
            .join()
            .unwrap_or_else(|_| Err(ProcessError::Encoding("the encoder panicked".to_owned())));
        (original, thumbnails)
    });
    Ok(Processed {
        original: original?,
        thumbnails: thumbnails?,
    })
}

/// The thumbnails smaller than `image`, smallest first. Made largest first, each from the one
/// before: resizing a 1024 px image to 256 is cheaper than resizing the original again.
fn thumbnails(image: &DynamicImage, output: Kind) -> Result<Vec<(u32, Encoded)>, ProcessError> {
    let mut thumbnails = Vec::new();
    let mut source: Option<DynamicImage> = None;
    for &size in THUMBNAIL_SIZES.iter().rev() {
        let from = source.as_ref().unwrap_or(image);
        if size >= from.width().max(from.height()) {
            continue;
        }
        let thumbnail = from.thumbnail(size, size);
        thumbnails.push((size, encode(&thumbnail, output, true)?));
        source = Some(thumbnail);
    }
    thumbnails.reverse();
    Ok(thumbnails)
}

/// A limit error of the decoder: from the dimensions when the header can be read without
/// limits (cheap: headers only), else a bare limits error.
fn too_large_or_limits(bytes: &[u8], kind: Kind) -> ProcessError {
    let format = match kind {
        Kind::Png => ImageFormat::Png,
        Kind::Jpeg => ImageFormat::Jpeg,
        Kind::Webp => ImageFormat::WebP,
        Kind::Gif => ImageFormat::Gif,
        Kind::Mp4 | Kind::Webm => return ProcessError::Limits,
    };
    match ImageReader::with_format(Cursor::new(bytes), format).into_dimensions() {
        Ok((width, height)) => ProcessError::TooLarge { width, height },
        Err(_) => ProcessError::Limits,
    }
}

fn encode(image: &DynamicImage, kind: Kind, thumbnail: bool) -> Result<Encoded, ProcessError> {
    let mut bytes = Vec::new();
    let result = match kind {
        Kind::Jpeg => {
            // `jpeg-encoder` writes a JFIF header and the pixels, nothing else. Photos decode
            // as 8-bit RGB or grey; anything else is converted (JPEG has no alpha channel).
            let width = u16::try_from(image.width())
                .map_err(|_| ProcessError::Encoding("wider than JPEG allows".to_owned()))?;
            let height = u16::try_from(image.height())
                .map_err(|_| ProcessError::Encoding("taller than JPEG allows".to_owned()))?;
            let encoder = jpeg_encoder::Encoder::new(&mut bytes, JPEG_QUALITY);
            let converted;
            let (pixels, color) = match image {
                DynamicImage::ImageLuma8(grey) => (grey.as_raw(), jpeg_encoder::ColorType::Luma),
                DynamicImage::ImageRgb8(rgb) => (rgb.as_raw(), jpeg_encoder::ColorType::Rgb),
                other => {
                    converted = other.to_rgb8();
                    (converted.as_raw(), jpeg_encoder::ColorType::Rgb)
                }
            };
            encoder
                .encode(pixels, width, height, color)
                .map_err(|err| image::ImageError::IoError(std::io::Error::other(err)))
        }
        _ => {
            let compression = if thumbnail {
                CompressionType::Fast
            } else {
                CompressionType::Default
            };
            let encoder =
                PngEncoder::new_with_quality(&mut bytes, compression, FilterType::Adaptive);
            image.write_with_encoder(encoder)
        }
    };
    result.map_err(|err| ProcessError::Encoding(err.to_string()))?;
    Ok(Encoded {
        bytes,
        kind,
        width: image.width(),
        height: image.height(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = RgbaImage::from_fn(width, height, |x, y| Rgba([x as u8, y as u8, 7, 255]));
        let mut bytes = Vec::new();
        DynamicImage::ImageRgba8(image)
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .expect("encodes");
        bytes
    }

    #[test]
    fn thumbnails_are_made_only_below_the_original_size() {
        let processed = process_image(&png(300, 200), Kind::Png).expect("processed");
        assert_eq!(
            (processed.original.width, processed.original.height),
            (300, 200)
        );
        let sizes: Vec<(u32, u32, u32)> = processed
            .thumbnails
            .iter()
            .map(|(size, t)| (*size, t.width, t.height))
            .collect();
        assert_eq!(sizes, [(64, 64, 43), (256, 256, 171)]);
        assert!(
            processed
                .thumbnails
                .iter()
                .all(|(_, t)| t.kind == Kind::Png)
        );
    }

    #[test]
    fn a_jpeg_stays_a_jpeg() {
        let image = RgbImage::from_fn(50, 40, |x, _| Rgb([x as u8, 0, 0]));
        let mut bytes = Vec::new();
        DynamicImage::ImageRgb8(image)
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Jpeg)
            .expect("encodes");
        let processed = process_image(&bytes, Kind::Jpeg).expect("processed");
        assert_eq!(processed.original.kind, Kind::Jpeg);
        assert!(processed.thumbnails.is_empty() || processed.thumbnails[0].0 < 50);
    }

    #[test]
    fn garbage_after_a_valid_signature_is_undecodable() {
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend_from_slice(b"not really a png at all");
        assert!(matches!(
            process_image(&bytes, Kind::Png),
            Err(ProcessError::Undecodable(_))
        ));
    }
}
