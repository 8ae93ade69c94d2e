//! Images uploaded from the desk (SECURITY.md E1–E5): the size is capped while the upload
//! streams in; the kind is read from the first bytes only (JPEG, PNG or WebP; SVG and
//! everything else refused), never from the name or the declared type; the picture is
//! decoded under a pixel cap and encoded anew, which leaves EXIF and any other metadata (GPS
//! positions of a source's phone) behind; the file gets a random name chosen here, in one
//! folder, so no name from outside ever reaches the file system; and it is served with the
//! type of its kind and `nosniff`.

use image::{ImageFormat, ImageReader, Limits};
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// Largest upload accepted, in bytes (checked while streaming: 413 beyond).
pub const MAX_UPLOAD_BYTES: usize = 10 << 20;
/// Largest picture accepted, in pixels (width × height): a small file can declare a huge
/// picture ("decompression bomb"), so the size is checked before decoding.
pub const MAX_PIXELS: u64 = 40_000_000;
/// Longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 12_000;

/// The kinds of image accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (`89 P N G \r \n 1A \n`).
    Png,
    /// WebP (`RIFF….WEBP`).
    Webp,
}

impl ImageKind {
    /// The kind the first bytes announce, if one of the accepted ones.
    pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageKind::Webp)
        } else {
            None
        }
    }

    /// The file extension the server gives it.
    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "jpg",
            ImageKind::Png => "png",
            ImageKind::Webp => "webp",
        }
    }

    /// The `Content-Type` it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Webp => "image/webp",
        }
    }

    fn format(self) -> ImageFormat {
        match self {
            ImageKind::Jpeg => ImageFormat::Jpeg,
            ImageKind::Png => ImageFormat::Png,
            ImageKind::Webp => ImageFormat::WebP,
        }
    }

    /// The kind of a stored file, by the extension the server gave it.
    pub fn of_extension(ext: &str) -> Option<ImageKind> {
        [ImageKind::Jpeg, ImageKind::Png, ImageKind::Webp]
            .into_iter()
            .find(|k| k.extension() == ext)
    }
}

/// Why an upload was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UploadError {
    /// Larger than [`MAX_UPLOAD_BYTES`].
    #[error("the file is larger than {} MiB", MAX_UPLOAD_BYTES >> 20)]
    TooLarge,
    /// Not JPEG, PNG or WebP by its first bytes (SVG included, deliberately).
    #[error("only JPEG, PNG and WebP images are accepted (SVG is not)")]
    NotAnImage,
    /// More pixels than [`MAX_PIXELS`] or a side longer than [`MAX_SIDE`].
    #[error("the picture is too large: at most {MAX_SIDE} pixels a side and {} megapixels", MAX_PIXELS / 1_000_000)]
    TooManyPixels,
    /// The bytes do not decode as the image they announce.
    #[error("the image is damaged or incomplete: {0}")]
    Damaged(String),
}

/// Checks and re-encodes an uploaded image: returns the new file's bytes and its kind. Pure
/// computation (no I/O); CPU-bound, so callers run it on a blocking thread.
pub fn reencode(bytes: &[u8]) -> Result<(Vec<u8>, ImageKind), UploadError> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(UploadError::TooLarge);
    }
    let kind = ImageKind::sniff(bytes).ok_or(UploadError::NotAnImage)?;
    let damaged = |e: image::ImageError| UploadError::Damaged(e.to_string());
    let reader = || ImageReader::with_format(Cursor::new(bytes), kind.format());
    let (w, h) = reader().into_dimensions().map_err(damaged)?;
    if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(UploadError::TooManyPixels);
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // Four bytes a pixel and some room for the decoder's own buffers.
    limits.max_alloc = Some(MAX_PIXELS * 4 + (64 << 20));
    let mut r = reader();
    r.limits(limits);
    let picture = r.decode().map_err(damaged)?;
    let mut out = Vec::new();
    let mut cursor = Cursor::new(&mut out);
    match kind {
        ImageKind::Jpeg => {
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut cursor, 85);
            picture
                .to_rgb8()
                .write_with_encoder(encoder)
                .map_err(damaged)?;
        }
        ImageKind::Png => picture
            .write_to(&mut cursor, ImageFormat::Png)
            .map_err(damaged)?,
        // The pure-Rust WebP encoder writes lossless WebP.
        ImageKind::Webp => picture
            .to_rgba8()
            .write_with_encoder(image::codecs::webp::WebPEncoder::new_lossless(&mut cursor))
            .map_err(damaged)?,
    }
    Ok((out, kind))
}

/// The folder uploads live in, inside the data directory.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("uploads")
}

/// Whether `name` is one this module gives files (`<32 hex digits>.<jpg|png|webp>`): any
/// other name, a path or `..` included, is never looked up.
pub fn is_upload_name(name: &str) -> Option<ImageKind> {
    let (stem, ext) = name.split_once('.')?;
    let hex = stem.len() == 32
        && stem
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if hex {
        ImageKind::of_extension(ext)
    } else {
        None
    }
}

/// Writes a re-encoded image under a new random name in `dir` and returns that name. The
/// file is written under a temporary name and renamed, so a reader never sees half of it.
pub fn store(
    dir: &Path,
    bytes: &[u8],
    kind: ImageKind,
    random_stem: &str,
) -> std::io::Result<String> {
    std::fs::create_dir_all(dir)?;
    let name = format!("{random_stem}.{}", kind.extension());
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, dir.join(&name))?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([10, 20, 30]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .expect("png");
        out
    }

    #[test]
    fn kinds_come_from_the_first_bytes_only() {
        assert_eq!(ImageKind::sniff(&png(2, 2)), Some(ImageKind::Png));
        assert_eq!(
            ImageKind::sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            None
        );
        assert_eq!(ImageKind::sniff(b"GIF89a"), None);
        assert_eq!(
            reencode(b"<?xml version='1.0'?><svg/>"),
            Err(UploadError::NotAnImage)
        );
    }

    #[test]
    fn a_declared_giant_is_refused_before_decoding() {
        // A valid PNG header that declares 50,000 × 50,000 pixels, with no pixel data.
        let mut bytes = png(1, 1);
        bytes[16..20].copy_from_slice(&50_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&50_000u32.to_be_bytes());
        // The header chunk's checksum (over its type and data), so that only the size is
        // wrong with it.
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(reencode(&bytes), Err(UploadError::TooManyPixels));
        // The same picture at its real size goes through.
        assert_eq!(reencode(&png(3, 2)).map(|(_, k)| k), Ok(ImageKind::Png));
    }

    /// CRC-32 as PNG chunks use it (ISO 3309), bit by bit: a test needs no table.
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
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

    #[test]
    fn only_names_given_here_are_looked_up() {
        assert_eq!(
            is_upload_name("0123456789abcdef0123456789abcdef.png"),
            Some(ImageKind::Png)
        );
        for bad in [
            "../etc/passwd",
            "0123456789abcdef0123456789abcdef.svg",
            "0123456789ABCDEF0123456789abcdef.png",
            "x.png",
            "0123456789abcdef0123456789abcdef.png/..",
        ] {
            assert_eq!(is_upload_name(bad), None, "{bad}");
        }
    }
}
