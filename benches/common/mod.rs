//! Shared by the benches: where criterion writes its estimates, and reading them back so a
//! bench can print ratios of what it measured in the same run.
//!
//! Ratios use criterion's *median* point estimate (`new/estimates.json`), which is less
//! sensitive than the mean to other work on the machine; the *fastest sample*
//! (`new/sample.json`: the least time per iteration over the samples) is printed beside it,
//! as the figure least disturbed by that work. An estimate older than the start of the run
//! (a filtered or skipped benchmark) is ignored, so a ratio never mixes runs.

use std::path::PathBuf;
use std::process::Command;
use std::time::SystemTime;

/// Criterion's output directory, found the way criterion finds it: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else the target directory from `cargo metadata`, else
/// `target/criterion`.
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    let metadata = std::env::var_os("CARGO").and_then(|cargo| {
        Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .output()
            .ok()
    });
    let target = metadata.and_then(|out| {
        let text = String::from_utf8(out.stdout).ok()?;
        let key = "\"target_directory\":\"";
        let start = text.find(key)? + key.len();
        let end = start + text[start..].find('"')?;
        Some(PathBuf::from(&text[start..end]))
    });
    target
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("criterion")
}

/// The estimates of one benchmark, written by the current run.
pub struct Estimates {
    dir: PathBuf,
    since: SystemTime,
}

impl Estimates {
    /// Reads estimates written after now.
    pub fn new() -> Self {
        Estimates {
            dir: criterion_dir(),
            since: SystemTime::now(),
        }
    }

    /// Median time per iteration in ns of `group/id`, if this run measured it.
    pub fn median_ns(&self, group: &str, id: &str) -> Option<f64> {
        point_estimate(&self.read(group, id, "estimates.json")?, "median")
    }

    /// The least time per iteration in ns over the samples of `group/id`.
    pub fn fastest_ns(&self, group: &str, id: &str) -> Option<f64> {
        let text = self.read(group, id, "sample.json")?;
        let iters = number_array(&text, "iters")?;
        let times = number_array(&text, "times")?;
        iters
            .iter()
            .zip(&times)
            .map(|(n, t)| t / n)
            .min_by(f64::total_cmp)
    }

    fn read(&self, group: &str, id: &str, file: &str) -> Option<String> {
        let path = self.dir.join(group).join(id).join("new").join(file);
        let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
        if modified < self.since {
            return None;
        }
        std::fs::read_to_string(&path).ok()
    }
}

/// `"<key>":[n, n, ...]` from criterion's sample.json.
fn number_array(json: &str, key: &str) -> Option<Vec<f64>> {
    let start = json.find(&format!("\"{key}\":["))? + key.len() + 4;
    let len = json[start..].find(']')?;
    json[start..start + len]
        .split(',')
        .map(|v| v.trim().parse().ok())
        .collect()
}

/// `"<stat>":{..."point_estimate":X...}` from criterion's estimates.json, without a JSON
/// dependency (the file is flat and machine-written).
fn point_estimate(json: &str, stat: &str) -> Option<f64> {
    let at = json.find(&format!("\"{stat}\":"))?;
    let rest = &json[at..];
    let key = "\"point_estimate\":";
    let start = rest.find(key)? + key.len();
    let len = rest[start..].find([',', '}'])?;
    rest[start..start + len].trim().parse().ok()
}
