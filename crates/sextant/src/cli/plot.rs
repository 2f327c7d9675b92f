//! The demo's loss-curve image: an SVG line chart drawn with plotters (text stays text, so
//! no font is embedded), labelled in the dashboard's number format.

use plotters::prelude::*;

const RAW: RGBColor = RGBColor(147, 197, 253);
const SMOOTH: RGBColor = RGBColor(29, 78, 216);

/// Renders `values` (one per step) as an SVG line chart: the raw series light and a centred
/// moving average over it dark (centred, so the trend does not lag the data), with a grid
/// and labelled axes. Non-finite values leave gaps.
pub fn line_chart_svg(values: &[f64], width: u32, height: u32) -> Result<String, String> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((0.0f64, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let hi = if hi.is_finite() && hi > lo {
        hi * 1.05
    } else {
        lo + 1.0
    };
    let steps = values.len().max(2) as f64 - 1.0;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(32)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..steps, lo..hi)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("step")
            .x_labels(6)
            .y_labels(6)
            .label_style(("sans-serif", 12))
            .x_label_formatter(&|x| sextant_view::format::value(*x))
            .y_label_formatter(&|y| sextant_view::format::value(*y))
            .draw()
            .map_err(|e| e.to_string())?;
        let smooth = moving_average(values, 12);
        for (series, color, thickness) in [
            (values.iter().map(|v| Some(*v)).collect::<Vec<_>>(), RAW, 1),
            (smooth, SMOOTH, 2),
        ] {
            // One line per run of finite points, so a NaN is a gap rather than a spike.
            let mut run = Vec::new();
            for (i, v) in series.iter().enumerate() {
                match v.filter(|v| v.is_finite()) {
                    Some(v) => run.push((i as f64, v)),
                    None if run.is_empty() => {}
                    None => {
                        let points = std::mem::take(&mut run);
                        chart
                            .draw_series(LineSeries::new(points, color.stroke_width(thickness)))
                            .map_err(|e| e.to_string())?;
                    }
                }
            }
            chart
                .draw_series(LineSeries::new(run, color.stroke_width(thickness)))
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// The mean of the finite values within `radius` steps of each point.
fn moving_average(values: &[f64], radius: usize) -> Vec<Option<f64>> {
    (0..values.len())
        .map(|i| {
            let window = &values[i.saturating_sub(radius)..(i + radius + 1).min(values.len())];
            let (sum, n) = window
                .iter()
                .filter(|v| v.is_finite())
                .fold((0.0, 0u32), |(s, n), v| (s + v, n + 1));
            (n > 0).then(|| sum / f64::from(n))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_an_svg_of_the_requested_size_with_labels_and_lines() {
        let mut values: Vec<f64> = (0..1000).map(|i| 2.0 / (1.0 + i as f64 / 100.0)).collect();
        values[500] = f64::NAN;
        let svg = super::line_chart_svg(&values, 640, 360).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(svg.contains(r#"width="640""#) && svg.contains(r#"height="360""#));
        // Axis labels are text: the axis name and at least four ticks per axis.
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| {
                t.split_once('>')
                    .and_then(|(_, rest)| rest.split_once("</text>"))
            })
            .map(|(text, _)| text.trim())
            .collect();
        assert!(texts.contains(&"step"), "{texts:?}");
        assert!(texts.contains(&"0.5") && texts.contains(&"1"), "{texts:?}");
        assert!(texts.len() >= 9, "{texts:?}");
        assert!(svg.contains("<polyline"));
    }
}
