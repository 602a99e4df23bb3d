//! `ASMFORGE_LISTINGS` files (`emit/dump.rs`), written through [`crate::write_listings`] for an
//! example kernel: the listing's rows are the golden listing's (`tests/golden/`), and the JSON
//! parses and agrees with them.

use std::path::{Path, PathBuf};

use quote::quote;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Writes the files of `name`, a kernel of `examples/kernels/<file>`, into a fresh directory.
/// Spans of the parsed file carry its lines, so the line map is the golden listing's.
fn dump_example(file: &str, name: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("examples/kernels").join(file)).unwrap();
    let parsed = syn::parse_file(&text).unwrap();
    let mut func = parsed
        .items
        .into_iter()
        .find_map(|i| match i {
            syn::Item::Fn(f) if f.sig.ident == name => Some(f),
            _ => None,
        })
        .expect("the kernel");
    let at = func
        .attrs
        .iter()
        .position(|a| a.path().is_ident("kernel"))
        .expect("#[kernel]");
    let attr = match &func.attrs.remove(at).meta {
        syn::Meta::List(l) => l.tokens.clone(),
        _ => quote!(),
    };
    let dir = std::env::temp_dir().join(format!("asmforge-dump-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let written = crate::write_listings(attr, quote!(#func), &dir).expect("compiles and writes");
    assert!(written.iter().all(|p| p.starts_with(&dir)), "{written:?}");
    dir
}

/// The instruction and pool rows of a listing (everything after the header).
fn rows(text: &str) -> Vec<&str> {
    text.lines()
        .skip_while(|l| l.starts_with('#') || l.is_empty())
        .collect()
}

#[test]
fn listings_are_the_golden_listings_and_the_json_agrees() {
    let dir = dump_example("sdot.rs", "sdot");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sdot.json")).unwrap()).unwrap();
    assert_eq!(json["kernel"], "sdot");
    assert_eq!(json["abi"], "sysv64");
    assert_eq!(json["line"], 16, "the line of `fn sdot`");
    let variants = json["variants"].as_array().unwrap();
    let names: Vec<&str> = variants
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["avx512f", "avx2+fma", "avx", "sse2"], "best first");
    for v in variants {
        let name = v["name"].as_str().unwrap();
        let golden =
            std::fs::read_to_string(repo().join(format!("tests/golden/sdot.{name}.txt"))).unwrap();
        let listing = std::fs::read_to_string(dir.join(format!("sdot.{name}.lst"))).unwrap();
        assert_eq!(
            rows(&listing),
            rows(&golden),
            "sdot.{name}.lst against the golden file"
        );
        assert!(
            listing.starts_with(&format!("# sdot ({name})")),
            "{listing}"
        );
        assert!(golden.contains(&format!("# code {} bytes", v["code_size"])));
        assert_eq!(
            v["symbol"],
            format!("sdot::__asmforge_{}", name.replace('+', "_"))
        );
        // Each instruction of the JSON is a row of the golden listing: offset, text, line.
        let insts = v["instructions"].as_array().unwrap();
        assert_eq!(
            insts.len(),
            rows(&golden).len(),
            "{name}: one entry per row"
        );
        for (i, row) in insts.iter().zip(rows(&golden)) {
            let offset = format!("{:04x}:", i["offset"].as_u64().unwrap());
            assert!(row.trim_start().starts_with(&offset), "{row} vs {i}");
            assert!(row.contains(i["text"].as_str().unwrap()), "{row} vs {i}");
            match i["line"].as_u64().filter(|&l| l != 0) {
                Some(line) => assert!(row.ends_with(&format!("; line {line}")), "{row} vs {i}"),
                None => assert!(!row.contains("; line"), "{row} vs {i}"),
            }
            let bytes = i["bytes"].as_str().unwrap();
            assert_eq!(bytes.len() as u64, 2 * i["size"].as_u64().unwrap());
        }
        let (frame, used) = (&v["frame"], v["used"].as_array().unwrap());
        assert_eq!(frame["size"], 0, "sdot needs no stack: {frame}");
        assert!(used.iter().any(|f| f == "SSE" || f == "AVX"), "{used:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_frame_shows_in_the_header_and_the_json() {
    let dir = std::env::temp_dir().join(format!("asmforge-dump-frame-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    crate::write_listings(
        quote!(),
        quote!(
            fn k(x: u64) -> u64 {
                let a = local(32);
                mov(rbx, x);
                mov(qword[a], rbx);
                mov(rax, qword[a]);
                return rax;
            }
        ),
        &dir,
    )
    .expect("compiles and writes");
    let listing = std::fs::read_to_string(dir.join("k.baseline.lst")).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("k.json")).unwrap()).unwrap();
    let frame = &json["variants"][0]["frame"];
    assert_eq!(frame["saved"], serde_json::json!(["rbx"]), "{frame}");
    let size = frame["size"].as_u64().unwrap();
    assert!(size >= 40, "rbx and 32 bytes of locals: {frame}");
    assert!(!frame["unwind"].as_array().unwrap().is_empty(), "{frame}");
    assert!(
        listing.contains(&format!("# frame: {size} bytes; saves: rbx")),
        "{listing}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_directory_that_cannot_be_made_is_an_error_not_a_panic() {
    let file = std::env::temp_dir().join(format!("asmforge-dump-file-{}", std::process::id()));
    std::fs::write(&file, "not a directory").unwrap();
    let err = crate::write_listings(
        quote!(),
        quote!(
            fn k() -> u64 {
                mov(eax, 1);
                return rax;
            }
        ),
        &file.join("sub"),
    )
    .expect_err("a file is in the way");
    std::fs::remove_file(&file).unwrap();
    assert_eq!(err.len(), 1);
    assert!(
        err[0].message.starts_with("cannot write under "),
        "{}",
        err[0].message
    );
}
