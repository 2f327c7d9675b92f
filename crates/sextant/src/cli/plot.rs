//! A small line-chart renderer (axes, grid, tick labels, raw and smoothed series) into an
//! RGB pixel buffer, encoded as PNG. Enough for the demo's loss plot, no plotting crate.

const WHITE: [u8; 3] = [255, 255, 255];
const GRID: [u8; 3] = [232, 232, 232];
const AXIS: [u8; 3] = [60, 60, 60];
const RAW: [u8; 3] = [166, 198, 235];
const SMOOTH: [u8; 3] = [31, 119, 180];

/// 3×5 glyphs for tick labels: each row is three bits, high bit left.
fn glyph(c: char) -> Option<[u8; 5]> {
    Some(match c {
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b111, 0b001, 0b111, 0b100, 0b111],
        '3' => [0b111, 0b001, 0b111, 0b001, 0b111],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b111, 0b001, 0b111],
        '6' => [0b111, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b010, 0b010, 0b010],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b111],
        '.' => [0b000, 0b000, 0b000, 0b000, 0b010],
        '-' => [0b000, 0b000, 0b111, 0b000, 0b000],
        _ => return None,
    })
}

/// Glyph scale in pixels, and the advance per character.
const SCALE: i64 = 2;
const ADVANCE: i64 = 4 * SCALE;

struct Canvas {
    width: i64,
    height: i64,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: u32, height: u32) -> Self {
        let pixels = WHITE.repeat(width as usize * height as usize);
        Canvas {
            width: i64::from(width),
            height: i64::from(height),
            pixels,
        }
    }

    fn set(&mut self, x: i64, y: i64, color: [u8; 3]) {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            let i = ((y * self.width + x) * 3) as usize;
            self.pixels[i..i + 3].copy_from_slice(&color);
        }
    }

    /// Bresenham, `thickness` pixels wide (vertically), clipped to the canvas.
    fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), color: [u8; 3], thickness: i64) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        loop {
            for t in 0..thickness {
                self.set(x, y + t - thickness / 2, color);
            }
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// Draws `text` with its top-left corner at (x, y).
    fn text(&mut self, x: i64, y: i64, text: &str, color: [u8; 3]) {
        for (i, c) in text.chars().enumerate() {
            let Some(rows) = glyph(c) else { continue };
            let left = x + i as i64 * ADVANCE;
            for (r, bits) in rows.iter().enumerate() {
                for col in 0..3 {
                    if bits & (0b100 >> col) != 0 {
                        for dy in 0..SCALE {
                            for dx in 0..SCALE {
                                self.set(left + col * SCALE + dx, y + r as i64 * SCALE + dy, color);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A "nice" tick step (1, 2 or 5 × 10^k) giving about `target` ticks over `range`.
fn nice_step(range: f64, target: f64) -> f64 {
    let raw = (range / target).max(f64::MIN_POSITIVE);
    let power = 10f64.powf(raw.log10().floor());
    let unit = raw / power;
    let nice = if unit <= 1.0 {
        1.0
    } else if unit <= 2.0 {
        2.0
    } else if unit <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

fn label(value: f64, step: f64) -> String {
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{value:.decimals$}")
}

/// Renders `values` (one per step) as a PNG line chart: the raw series light, an
/// centred moving average over it dark (centred, so the trend does not lag the data), with a grid and labelled axes.
pub fn line_chart_png(
    values: &[f64],
    width: u32,
    height: u32,
) -> Result<Vec<u8>, png::EncodingError> {
    let mut canvas = Canvas::new(width, height);
    let (left, right, top, bottom) = (64, i64::from(width) - 20, 20, i64::from(height) - 40);
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let lo = finite
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(0.0);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let hi = if hi.is_finite() && hi > lo {
        hi * 1.05
    } else {
        lo + 1.0
    };
    let steps = values.len().max(2) as f64 - 1.0;
    let px = |i: f64| left + ((i / steps) * (right - left) as f64).round() as i64;
    let py = |v: f64| bottom - (((v - lo) / (hi - lo)) * (bottom - top) as f64).round() as i64;

    let y_step = nice_step(hi - lo, 6.0);
    let mut tick = (lo / y_step).ceil() * y_step;
    while tick <= hi + y_step * 1e-9 {
        let y = py(tick);
        canvas.line((left, y), (right, y), GRID, 1);
        canvas.line((left - 5, y), (left, y), AXIS, 1);
        let text = label(tick, y_step);
        let w = text.chars().count() as i64 * ADVANCE;
        canvas.text(left - 9 - w, y - 5, &text, AXIS);
        tick += y_step;
    }
    let x_step = nice_step(steps, 5.0);
    let mut tick = 0.0;
    while tick <= steps + 1e-9 {
        let x = px(tick);
        canvas.line((x, top), (x, bottom), GRID, 1);
        canvas.line((x, bottom), (x, bottom + 5), AXIS, 1);
        let text = label(tick, x_step.max(1.0));
        let w = text.chars().count() as i64 * ADVANCE;
        canvas.text(x - w / 2, bottom + 10, &text, AXIS);
        tick += x_step;
    }
    canvas.line((left, top), (left, bottom), AXIS, 2);
    canvas.line((left, bottom), (right, bottom), AXIS, 2);

    let smooth = moving_average(values, 12);
    for (series, color, thickness) in [
        (values.iter().map(|v| Some(*v)).collect::<Vec<_>>(), RAW, 1),
        (smooth, SMOOTH, 2),
    ] {
        let mut prev: Option<(i64, i64)> = None;
        for (i, v) in series.iter().enumerate() {
            match v.filter(|v| v.is_finite()) {
                Some(v) => {
                    let point = (px(i as f64), py(v));
                    if let Some(p) = prev {
                        canvas.line(p, point, color, thickness);
                    }
                    prev = Some(point);
                }
                None => prev = None,
            }
        }
    }

    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&canvas.pixels)?;
    writer.finish()?;
    Ok(bytes)
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
    fn renders_a_decodable_png_of_the_requested_size() {
        let values: Vec<f64> = (0..1000)
            .map(|i| 2.0 * (-(i as f64) / 200.0).exp())
            .collect();
        let bytes = super::line_chart_png(&values, 640, 360).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (640, 360));
        // Something was drawn: the smoothed line's colour appears.
        assert!(buf.chunks(3).any(|p| p == super::SMOOTH));
    }

    #[test]
    fn tick_steps_are_round() {
        assert_eq!(super::nice_step(999.0, 5.0), 200.0);
        assert_eq!(super::nice_step(2.4, 5.0), 0.5);
        assert_eq!(super::label(0.5, 0.5), "0.5");
    }
}
