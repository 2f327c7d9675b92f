//! What a chart card needs from the page around it: which runs to draw and the settings
//! every chart on the page shares. Kept apart so cards and the grid depend on it, not on
//! each other.

use super::dom;
use crate::view::series::XAxis;

const SETTINGS_KEY: &str = "sextant.charts";

/// A run as charts show it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRef {
    pub id: String,
    pub name: String,
    pub color: &'static str,
}

/// Chart settings shared by every chart on the page, remembered between visits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// EMA weight, 0 (off) to 0.99.
    pub smoothing: f64,
    pub x_axis: XAxis,
    pub log_y: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            smoothing: 0.0,
            x_axis: XAxis::Step,
            log_y: false,
        }
    }
}

impl Settings {
    pub fn load() -> Settings {
        let Some(text) = dom::local_get(SETTINGS_KEY) else {
            return Settings::default();
        };
        let mut parts = text.split('|');
        Settings {
            smoothing: parts
                .next()
                .and_then(|s| s.parse().ok())
                .filter(|v: &f64| (0.0..1.0).contains(v))
                .unwrap_or(0.0),
            x_axis: XAxis::parse(parts.next().unwrap_or("step")),
            log_y: parts.next() == Some("log"),
        }
    }

    pub fn save(&self) {
        dom::local_set(
            SETTINGS_KEY,
            &format!(
                "{}|{}|{}",
                self.smoothing,
                self.x_axis.name(),
                if self.log_y { "log" } else { "linear" }
            ),
        );
    }
}
