//! Where the dashboard reads from, in the form kept in the URL (`?source=`) and remembered
//! between visits. Opening one is the app's job; this is the naming.

/// The IndexedDB database the JS tracker uses unless told otherwise (`idb://sextant`).
pub const DEFAULT_BROWSER_DB: &str = "sextant";

/// A data source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// A Sextant server: `None` is the page's own origin (`sextant ui`).
    Server(Option<String>),
    /// An IndexedDB database of this page's origin.
    IndexedDb(String),
    /// localStorage keys of this page's origin under a prefix.
    LocalStorage(String),
    /// A snapshot file opened in this tab, by file name (not reopenable from a URL):
    /// `snapshot://NAME`, its own scheme, since `file://` names the npm package's Node store.
    Snapshot(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("unknown data source {0:?}: use server, http://host:port, idb://name, localstorage://prefix or snapshot://file-name")]
    Unknown(String),
    #[error("data source {0:?} has no name after ://")]
    Empty(String),
}

impl Source {
    pub fn parse(text: &str) -> Result<Source, SourceError> {
        let t = text.trim();
        if t.is_empty() || t == "server" || t == "origin" {
            return Ok(Source::Server(None));
        }
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            let url = t.trim_end_matches('/');
            if url
                .split_once("://")
                .is_none_or(|(_, host)| host.is_empty())
            {
                return Err(SourceError::Empty(t.into()));
            }
            return Ok(Source::Server(Some(url.to_string())));
        }
        let (scheme, rest) = t
            .split_once("://")
            .ok_or_else(|| SourceError::Unknown(t.into()))?;
        if rest.is_empty() {
            return Err(SourceError::Empty(t.into()));
        }
        match scheme.to_ascii_lowercase().as_str() {
            "idb" | "indexeddb" => Ok(Source::IndexedDb(rest.into())),
            "localstorage" => Ok(Source::LocalStorage(rest.into())),
            "snapshot" => Ok(Source::Snapshot(rest.into())),
            _ => Err(SourceError::Unknown(t.into())),
        }
    }

    /// The `?source=` form; [`Source::parse`] reads it back.
    pub fn to_param(&self) -> String {
        match self {
            Source::Server(None) => "server".into(),
            Source::Server(Some(url)) => url.clone(),
            Source::IndexedDb(name) => format!("idb://{name}"),
            Source::LocalStorage(prefix) => format!("localstorage://{prefix}"),
            Source::Snapshot(name) => format!("snapshot://{name}"),
        }
    }

    /// A short human name for the header.
    pub fn label(&self) -> String {
        match self {
            Source::Server(None) => "This server".into(),
            Source::Server(Some(url)) => url
                .split_once("://")
                .map_or(url.as_str(), |(_, h)| h)
                .to_string(),
            Source::IndexedDb(name) => format!("This browser · IndexedDB {name}"),
            Source::LocalStorage(prefix) => format!("This browser · localStorage {prefix}"),
            Source::Snapshot(name) => format!("File · {name}"),
        }
    }

    /// Servers push changes (SSE); browser stores are polled; files never change.
    pub fn pushes_changes(&self) -> bool {
        matches!(self, Source::Server(_))
    }

    pub fn changes(&self) -> bool {
        !matches!(self, Source::Snapshot(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_form() {
        for s in [
            Source::Server(None),
            Source::Server(Some("http://127.0.0.1:5000".into())),
            Source::IndexedDb("sextant".into()),
            Source::LocalStorage("runs".into()),
            Source::Snapshot("run.tar".into()),
        ] {
            assert_eq!(Source::parse(&s.to_param()), Ok(s));
        }
        assert_eq!(Source::parse(""), Ok(Source::Server(None)));
        assert_eq!(
            Source::parse("https://x.example/"),
            Ok(Source::Server(Some("https://x.example".into())))
        );
    }

    #[test]
    fn bad_forms_say_what_is_valid() {
        let e = Source::parse("ftp://x").unwrap_err().to_string();
        assert!(e.contains("idb://") && e.contains("ftp://x"), "{e}");
        assert!(matches!(
            Source::parse("idb://"),
            Err(SourceError::Empty(_))
        ));
        assert!(matches!(
            Source::parse("http://"),
            Err(SourceError::Empty(_))
        ));
        assert!(Source::parse("nonsense").is_err());
        // file:// is the Node store's scheme, not a snapshot in this tab.
        assert!(matches!(
            Source::parse("file://run.tar"),
            Err(SourceError::Unknown(_))
        ));
    }

    #[test]
    fn labels() {
        assert_eq!(
            Source::Server(Some("http://h:5000".into())).label(),
            "h:5000"
        );
        assert!(Source::Server(None).pushes_changes());
        assert!(!Source::Snapshot("f".into()).changes());
    }
}
