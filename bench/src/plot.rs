//! SVG figures with `plotters` (SVG backend only: no font or bitmap stacks to build; text is
//! placed with plotters' built-in metrics and rendered by the viewer's fonts).

use plotters::prelude::*;

use crate::probe::Machine;

const COLORS: [RGBColor; 5] = [
    RGBColor(0xd6, 0x27, 0x28), // asmforge
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
];

/// GFLOP/s against n, one line per implementation, the measured peak as a dashed line; the
/// caption names the operation and the machine (CPU, measured clock).
pub fn gflops_vs_n(
    path: &str,
    op: &str,
    machine: &Machine,
    sizes: &[usize],
    series: &[(&str, Vec<f64>)],
    peak: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(dir) = std::path::Path::new(path).parent() {
        std::fs::create_dir_all(dir)?;
    }
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    // x is log2(n), labelled with n: one tick per size.
    let (lo, hi) = (
        (sizes[0] as f64).log2(),
        (sizes[sizes.len() - 1] as f64).log2(),
    );
    let caption = format!(
        "{op}, single thread: GFLOP/s vs n (square, row-major) — {} at {:.2} GHz (measured)",
        machine.cpu,
        peak / (machine.peak_f32_flops_per_cycle() * if op.starts_with('d') { 0.5 } else { 1.0 })
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 17))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(lo - 0.25..hi + 0.25, 0.0..peak * 1.12)?;
    chart
        .configure_mesh()
        .x_desc("n")
        .y_desc("GFLOP/s")
        .x_labels(4 * sizes.len())
        .x_label_formatter(&|x| {
            if (x - x.round()).abs() < 1e-6 {
                format!("{:.0}", x.round().exp2())
            } else {
                String::new()
            }
        })
        .draw()?;
    chart
        .draw_series(DashedLineSeries::new(
            [(lo - 0.25, peak), (hi + 0.25, peak)],
            8,
            5,
            BLACK.stroke_width(1),
        ))?
        .label(format!("measured FMA peak {peak:.1}"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
    for (k, (name, values)) in series.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let points: Vec<(f64, f64)> = sizes
            .iter()
            .map(|&n| (n as f64).log2())
            .zip(values.iter().copied())
            .collect();
        let width = if k == 0 { 3 } else { 2 };
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(width)))?
            .label(*name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(width))
            });
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
