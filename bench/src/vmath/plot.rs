//! The vector-math figure: cycles per element per function, one bar per contender, on a log
//! axis (scalar glibc and vector code differ tenfold), as a hand-written SVG.

use std::fmt::Write as _;

use super::Bar;

const WIDTH: f64 = 960.0;
const LEFT: f64 = 150.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 70.0;
const BAR: f64 = 9.0;
const GROUP_GAP: f64 = 14.0;
const LO: f64 = 0.05;
const HI: f64 = 100.0;

/// The contenders in legend order, with their colours.
const SERIES: [(&str, &str); 8] = [
    ("asmforge avx2+fma", "#1b7837"),
    ("asmforge avx512f", "#5aae61"),
    ("asmforge scalar", "#a6dba0"),
    ("libmvec AVX2", "#2166ac"),
    ("libmvec AVX-512", "#67a9cf"),
    ("SLEEF u10 AVX2", "#b2182b"),
    ("SLEEF u10 AVX-512", "#ef8a62"),
    ("glibc scalar", "#878787"),
];

fn x_of(cycles: f64) -> f64 {
    let t = (cycles.clamp(LO, HI).ln() - LO.ln()) / (HI.ln() - LO.ln());
    LEFT + t * (WIDTH - LEFT - RIGHT)
}

fn colour(who: &str) -> &'static str {
    SERIES
        .iter()
        .find(|(name, _)| *name == who)
        .map_or("#000000", |(_, c)| c)
}

/// Writes the figure to `path`.
///
/// # Errors
///
/// If the file cannot be written.
pub fn write_svg(path: &str, bars: &[Bar], caption: &str) -> std::io::Result<()> {
    let mut functions: Vec<&str> = Vec::new();
    for b in bars {
        if !functions.contains(&b.function.as_str()) {
            functions.push(&b.function);
        }
    }
    let mut body = String::new();
    let mut y = TOP;
    for f in &functions {
        let group: Vec<&Bar> = bars.iter().filter(|b| b.function == *f).collect();
        let h = group.len() as f64 * (BAR + 1.0);
        let _ = writeln!(
            body,
            r#"<text x="{}" y="{:.1}" text-anchor="end" font-size="13">{f}</text>"#,
            LEFT - 8.0,
            y + h / 2.0 + 4.0
        );
        for b in group {
            let _ = writeln!(
                body,
                r#"<rect x="{LEFT}" y="{y:.1}" width="{:.1}" height="{BAR}" fill="{}"><title>{}: {} {:.3} cycles/element</title></rect>"#,
                x_of(b.cycles) - LEFT,
                colour(&b.who),
                b.function,
                b.who,
                b.cycles
            );
            let _ = writeln!(
                body,
                r#"<text x="{:.1}" y="{:.1}" font-size="8">{:.2}</text>"#,
                x_of(b.cycles) + 3.0,
                y + BAR - 1.0,
                b.cycles
            );
            y += BAR + 1.0;
        }
        y += GROUP_GAP;
    }
    let height = y + 50.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" font-family="sans-serif">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="22" font-size="16" font-weight="bold">Vector math: cycles per element (4,096-element arrays, lower is better, log scale)</text>"#
    );
    for (k, (name, c)) in SERIES.iter().enumerate() {
        let x = LEFT + (k % 4) as f64 * 190.0;
        let yy = 38.0 + (k / 4) as f64 * 16.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="{yy}" width="12" height="10" fill="{c}"/><text x="{}" y="{}" font-size="12">{name}</text>"#,
            x + 16.0,
            yy + 9.0
        );
    }
    for tick in [0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0] {
        let x = x_of(tick);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#dddddd"/><text x="{x:.1}" y="{:.1}" font-size="11" text-anchor="middle">{tick}</text>"##,
            y - GROUP_GAP,
            y - GROUP_GAP + 14.0
        );
    }
    svg.push_str(&body);
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="{:.1}" font-size="12">cycles/element at the measured core clock · {caption}</text>"#,
        height - 14.0
    );
    svg.push_str("</svg>\n");
    if let Some(dir) = std::path::Path::new(path).parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, svg)
}
