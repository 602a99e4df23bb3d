//! Fails the build loudly when a native peer library is missing, naming the command that
//! installs it (`bench/install-peers.sh` does it for every peer).

use std::path::Path;

/// Where Debian and Ubuntu put multiarch libraries, then the classic places.
const DIRS: [&str; 4] = [
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/lib",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let found = DIRS
        .iter()
        .any(|d| Path::new(d).join("libopenblas.so").exists());
    if !found {
        panic!(
            "\n\nasmforge-bench needs OpenBLAS (libopenblas.so) as a peer and did not find it in \
             {DIRS:?}.\nInstall it with `bash bench/install-peers.sh` (Debian/Ubuntu: \
             `apt-get install -y libopenblas-dev`).\n"
        );
    }
}
