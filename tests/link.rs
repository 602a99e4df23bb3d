//! Programs that must build, link and run: generated symbols that could collide at link time.
//! Each file in `tests/link/` is its own program (built by trybuild, so a link error fails
//! that case instead of this test binary). Host only: trybuild and the reproducibility test
//! run cargo, which the Windows suite under wine (`.ci/windows`) cannot.

#![cfg(not(windows))]

#[test]
fn kernels_stamped_out_twice_link() {
    trybuild::TestCases::new().pass("tests/link/*.rs");
}

/// A crate whose kernel lives in a path dependency, copied to two directories and built in
/// each (two separate builds, each with its own target directory): the kernel's mangled
/// symbols and the bytes at them are the same. rustc gives a dependency's source path to the
/// macro as an absolute path, so anything that depended on it (the old symbols hashed it)
/// would differ; the mangling hash covers cargo's `-C metadata`, which cargo computes from
/// the package's path relative to the workspace root.
///
/// Two clean builds of asmforge take minutes on a busy 2-core machine, so the test is
/// `#[ignore]`d for plain `cargo test`; `.ci/run` runs it by name with `--ignored`.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "two clean builds (minutes); .ci/run runs it with --ignored"]
fn kernel_symbols_do_not_depend_on_where_the_source_lives() {
    let root = std::env::temp_dir().join(format!("asmforge-repro-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let first = build_copy(&root.join("a"));
    let second = build_copy(&root.join("somewhere").join("else"));
    assert_eq!(
        first.symbols, second.symbols,
        "symbols differ between the two copies"
    );
    assert_eq!(
        first.placed, second.placed,
        "bytes differ between the two copies"
    );
    // Two variants of the one kernel, each a sized function named by its path.
    assert_eq!(first.symbols.len(), 2, "{:?}", first.symbols);
    assert_eq!(first.placed.lines().count(), 2, "{}", first.placed);
    assert!(
        first.placed.contains("dep::add2::__asmforge_sse2 ["),
        "{}",
        first.placed
    );
    for (name, _) in &first.symbols {
        assert!(
            name.starts_with("_ZN3dep4add2") && name.contains("__asmforge_"),
            "{name}"
        );
    }
    std::fs::remove_dir_all(&root).expect("remove the copies");
}

/// What a build of the copy produced: `(mangled name, size)` of each kernel symbol, from
/// `nm`, and the program's own report of each variant's symbol and the bytes at its entry.
#[cfg(target_os = "linux")]
struct Built {
    symbols: Vec<(String, u64)>,
    placed: String,
}

#[cfg(target_os = "linux")]
fn build_copy(dir: &std::path::Path) -> Built {
    use std::fs;
    use std::process::Command;
    let asmforge = env!("CARGO_MANIFEST_DIR");
    let files: [(&str, String); 5] = [
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"app\", \"dep\"]\nresolver = \"3\"\n".to_owned(),
        ),
        (
            "dep/Cargo.toml",
            format!(
                "[package]\nname = \"dep\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
                 [dependencies]\nasmforge = {{ path = {asmforge:?}, default-features = false, features = [\"std\"] }}\n"
            ),
        ),
        (
            "dep/src/lib.rs",
            "/// Adds two: one kernel, two variants.\n\
             #[asmforge::kernel(targets(sse2, avx2))]\n\
             pub fn add2(x: u64) -> u64 {\n    lea(rax, [x + 2]);\n    return rax;\n}\n"
                .to_owned(),
        ),
        (
            "app/Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [dependencies]\ndep = { path = \"../dep\" }\n"
                .to_owned(),
        ),
        (
            "app/src/main.rs",
            "fn main() {\n    assert_eq!(dep::add2(40), 42);\n\
             for v in dep::add2::INFO.variants {\n\
             // SAFETY: the entry points at the variant's bytes.\n\
             let placed = unsafe { std::slice::from_raw_parts(v.entry.0.cast::<u8>(), v.bytes.len()) };\n\
             println!(\"{} {:02x?}\", v.symbol, placed);\n    }\n}\n"
                .to_owned(),
        ),
    ];
    for (path, text) in &files {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
    }
    // The workspace's lock file: the same dependency versions, resolved offline.
    fs::copy(
        std::path::Path::new(asmforge).join("Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .expect("copy Cargo.lock");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(&cargo)
        .args(["build", "--offline", "--quiet", "-p", "app"])
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .status()
        .expect("run cargo");
    assert!(status.success(), "cargo build in {}", dir.display());
    let exe = dir.join("target/debug/app");
    let run = Command::new(&exe).output().expect("run the program");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let nm = Command::new("nm")
        .arg("-S")
        .arg(&exe)
        .output()
        .expect("run nm");
    assert!(nm.status.success());
    let symbols = String::from_utf8_lossy(&nm.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 4 && f[3].contains("__asmforge_"))
                .then(|| (f[3].to_owned(), u64::from_str_radix(f[1], 16).unwrap()))
        })
        .collect::<Vec<_>>();
    let mut symbols = symbols;
    symbols.sort();
    eprintln!("{}: {symbols:?}", dir.display());
    Built {
        symbols,
        placed: String::from_utf8_lossy(&run.stdout).into_owned(),
    }
}

/// The Mach-O side, inspected in the object of an example built for `x86_64-apple-darwin`
/// (`cargo rustc --example frames -- --emit=obj`, read with LLVM's tools; no macOS linker): every variant of
/// every kernel is a global function symbol in `__TEXT,__text`, its code starts 64-aligned
/// (Mach-O has no function sections: the assembler pads between the label and the code with
/// NOPs, which is what `.p2align 6` after rustc's label does without function sections), and
/// an unwind entry begins exactly there — a compact unwind entry, or a DWARF FDE in
/// `__eh_frame` for the frames compact unwind cannot encode.
///
/// Builds the example's dependencies for macOS once (in `target/macho`); `.ci/run` runs it
/// with `--ignored`.
#[test]
#[ignore = "builds the example for x86_64-apple-darwin (minutes the first time); .ci/run runs it with --ignored"]
fn kernels_in_a_macho_object_are_global_functions_with_unwind_info() {
    use std::process::Command;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let target_dir = root.join("target").join("macho");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args([
            "rustc",
            "--offline",
            "--quiet",
            "--target",
            "x86_64-apple-darwin",
        ])
        // No macOS linker here: the object is what the test reads, `true` "links" it.
        .args([
            "--example",
            "frames",
            "--",
            "--emit=obj",
            "-C",
            "linker=true",
        ])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &target_dir)
        .status()
        .expect("run cargo");
    assert!(
        status.success(),
        "cargo rustc --emit=obj for x86_64-apple-darwin"
    );
    let examples = target_dir.join("x86_64-apple-darwin/debug/examples");
    let obj = std::fs::read_dir(&examples)
        .expect("the examples directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "o")
                && p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("frames-")
        })
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
        .expect("frames-*.o");
    let tool = |args: &[&str]| -> String {
        let out = Command::new(args[0])
            .args(&args[1..])
            .arg(&obj)
            .output()
            .unwrap_or_else(|e| panic!("run {} (LLVM): {e}", args[0]));
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let header = tool(&["llvm-objdump", "--macho", "--private-header"]);
    assert!(
        header.contains("X86_64") && header.contains("OBJECT"),
        "{header}"
    );

    // `llvm-objdump -t -C` rows: address, flags (`g     F`), section, demangled name.
    let table = tool(&["llvm-objdump", "-t", "-C"]);
    let kernels: Vec<(u64, String)> = table
        .lines()
        .filter(|l| l.contains("::__asmforge_") && !l.contains(".Lfunc_end"))
        .map(|l| {
            assert!(
                l.contains(" g     F __TEXT,__text frames::"),
                "not a global function in __TEXT,__text: {l}"
            );
            let address = u64::from_str_radix(&l[..16], 16).unwrap();
            (address, l.rsplit(' ').next().unwrap().to_owned())
        })
        .collect();
    for k in ["sum10", "sum10_win64", "mode"] {
        let prefix = format!("frames::{k}::__asmforge_");
        assert!(
            kernels.iter().any(|(_, n)| n.starts_with(&prefix)),
            "no variant of `{k}` in\n{table}"
        );
    }

    // Where each kernel's code starts: its label, then NOPs up to the next 64-byte boundary.
    let disasm = tool(&["llvm-objdump", "-d", "--no-show-raw-insn"]);
    let unwind = tool(&["llvm-objdump", "--unwind-info"]);
    let fdes = Command::new("llvm-dwarfdump")
        .arg("--eh-frame")
        .arg(&obj)
        .output()
        .expect("run llvm-dwarfdump");
    let fdes = String::from_utf8_lossy(&fdes.stdout).into_owned();
    for (address, name) in &kernels {
        let code = code_start(&disasm, *address)
            .unwrap_or_else(|| panic!("no code after `{name}` at {address:#x}"));
        assert_eq!(
            code % 64,
            0,
            "`{name}`'s code at {code:#x} is not 64-aligned"
        );
        let compact = format!("start:                {code:#x} ");
        let dwarf = format!(" pc={code:08x}...");
        assert!(
            unwind.contains(&compact) || fdes.contains(&dwarf),
            "no unwind entry starts at `{name}`'s code ({code:#x})"
        );
    }
}

/// The address of the first instruction at or after `address` that is not a NOP, in
/// `llvm-objdump -d --no-show-raw-insn` output.
fn code_start(disasm: &str, address: u64) -> Option<u64> {
    disasm
        .lines()
        .filter_map(|l| {
            let (at, insn) = l.trim_start().split_once(':')?;
            Some((u64::from_str_radix(at, 16).ok()?, insn.trim()))
        })
        .filter(|(at, _)| *at >= address)
        .find(|(_, insn)| !insn.starts_with("nop"))
        .map(|(at, _)| at)
}
