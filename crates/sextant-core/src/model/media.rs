//! Images over steps: `log_image(key, bytes, step)` stores each image as the attachment
//! `media/KEY/STEP.png` (or `.jpg`) and keeps `media/KEY/index.json`, the list of steps a
//! viewer reads in one request instead of fetching or listing every image.

use serde::{Deserialize, Serialize};

use super::AttachmentInfo;
use crate::error::{Error, Result};
use crate::validate;

/// Where a run's images live among its attachments.
pub const MEDIA_PREFIX: &str = "media/";
/// The name of each key's index, under `media/KEY/`.
pub const MEDIA_INDEX: &str = "index.json";

/// The image formats stored, told apart by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// Starts with `\x89PNG\r\n\x1a\n`.
    Png,
    /// Starts with `FF D8 FF`.
    Jpeg,
}

impl ImageFormat {
    /// The format of `bytes` by its signature; [`Error::InvalidInput`] for anything else.
    pub fn sniff(bytes: &[u8]) -> Result<ImageFormat> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Ok(ImageFormat::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Ok(ImageFormat::Jpeg)
        } else {
            let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
            Err(Error::invalid(
                "image",
                format!("{} bytes starting with {}", bytes.len(), head.join(" ")),
                "is neither PNG nor JPEG (by its first bytes); encode it as one first",
            ))
        }
    }

    /// The file extension (`png`, `jpg`).
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpg",
        }
    }

    /// The MIME type, for serving.
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
        }
    }
}

/// One image of a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaImage {
    /// The step it was logged at.
    pub step: i64,
    /// Its attachment name (`media/KEY/STEP.png`).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its format.
    pub format: ImageFormat,
    /// Unix milliseconds when it was logged.
    pub logged_at: i64,
}

/// `media/KEY/index.json`: a key's images, by step, one per step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaIndex {
    /// The image key.
    pub key: String,
    /// Sorted by step; logging a step again replaces its entry.
    pub images: Vec<MediaImage>,
}

impl MediaIndex {
    /// The attachment name of `key`'s index.
    pub fn attachment_name(key: &str) -> String {
        format!("{MEDIA_PREFIX}{key}/{MEDIA_INDEX}")
    }

    /// Adds (or replaces) the entry for `image.step`, keeping the list sorted.
    pub fn insert(&mut self, image: MediaImage) {
        match self.images.binary_search_by_key(&image.step, |i| i.step) {
            Ok(i) => self.images[i] = image,
            Err(i) => self.images.insert(i, image),
        }
    }

    /// Reads an index's bytes; a damaged index is [`Error::Corrupt`].
    pub fn parse(bytes: &[u8]) -> Result<MediaIndex> {
        serde_json::from_slice(bytes)
            .map_err(|e| Error::corrupt(format!("image index is not readable: {e}")))
    }
}

/// The attachment name of `key`'s image at `step`, after checking the key (the rules of
/// metric keys, plus what an attachment path needs) and the step.
pub fn image_name(key: &str, step: i64, format: ImageFormat) -> Result<String> {
    validate::key("image key", key)?;
    validate::step(step)?;
    let name = format!("{MEDIA_PREFIX}{key}/{step}.{}", format.extension());
    validate::attachment_name(&name).map_err(|_| {
        Error::invalid(
            "image key",
            key,
            "must make a relative path: no leading '/', no empty, '.' or '..' segments, no '\\'",
        )
    })?;
    Ok(name)
}

/// The image keys of a run, from its attachment list (each key with an index), sorted.
pub fn image_keys(attachments: &[AttachmentInfo]) -> Vec<String> {
    let suffix = format!("/{MEDIA_INDEX}");
    let mut keys: Vec<String> = attachments
        .iter()
        .filter_map(|a| {
            a.name
                .strip_prefix(MEDIA_PREFIX)?
                .strip_suffix(&suffix)
                .map(str::to_string)
        })
        .collect();
    keys.sort();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_signature() {
        assert_eq!(
            ImageFormat::sniff(b"\x89PNG\r\n\x1a\nrest").unwrap(),
            ImageFormat::Png
        );
        assert_eq!(
            ImageFormat::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(),
            ImageFormat::Jpeg
        );
        let e = ImageFormat::sniff(b"GIF89a").unwrap_err();
        assert_eq!(e.code(), "INVALID_INPUT");
        assert!(e.to_string().contains("neither PNG nor JPEG"), "{e}");
        assert!(e.to_string().contains("47 49 46"), "{e}");
    }

    #[test]
    fn names_and_keys() {
        assert_eq!(
            image_name("val/samples", 3, ImageFormat::Jpeg).unwrap(),
            "media/val/samples/3.jpg"
        );
        assert!(image_name("../x", 1, ImageFormat::Png).is_err());
        assert!(image_name("a", -1, ImageFormat::Png).is_err());
        let att = |n: &str| AttachmentInfo {
            name: n.into(),
            size: 1,
            created_at: 0,
        };
        assert_eq!(
            image_keys(&[
                att("media/b/index.json"),
                att("media/b/1.png"),
                att("media/a/x/index.json"),
                att("plots/index.json"),
            ]),
            vec!["a/x".to_string(), "b".to_string()]
        );
    }

    #[test]
    fn a_step_logged_again_replaces_its_entry() {
        let img = |step, size| MediaImage {
            step,
            name: format!("media/k/{step}.png"),
            size,
            format: ImageFormat::Png,
            logged_at: 0,
        };
        let mut ix = MediaIndex::default();
        for (s, z) in [(5, 1), (1, 1), (3, 1), (5, 2)] {
            ix.insert(img(s, z));
        }
        let steps: Vec<(i64, u64)> = ix.images.iter().map(|i| (i.step, i.size)).collect();
        assert_eq!(steps, vec![(1, 1), (3, 1), (5, 2)]);
        let back = MediaIndex::parse(&serde_json::to_vec(&ix).unwrap()).unwrap();
        assert_eq!(back, ix);
    }
}
