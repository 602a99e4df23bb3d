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

/// The `holes` of a stencil's JSON: one entry per hole of each runtime `jit::Hole` the
/// expansion emits (`STENCILS[i]`), same name, kind, offset, end and signedness, in the same
/// order, with the field's width inside its instruction.
#[test]
fn stencil_json_holes_are_the_runtime_holes() {
    for (attr, item) in [
        (
            quote!(targets(sse2, avx), params(N = 2)),
            quote!(
                fn scale(x: f64) -> f64 {
                    if has!(avx) {
                        vmulsd(xmm0, xmm0, hole!(pool f64 s));
                    } else {
                        mulsd(xmm0, hole!(pool f64 s));
                    }
                    for _k in 0..N {
                        add(rax, hole!(imm32 k));
                    }
                    imul(rax, rax, hole!(imm8 m));
                    mov(rax, hole!(f64 t));
                    mov(rcx, qword[rdi + hole!(disp32 off)]);
                    return xmm0;
                }
            ),
        ),
        (
            quote!(chain),
            quote!(
                fn step(x: u64) -> u64 {
                    add(rax, hole!(imm32 k));
                }
            ),
        ),
    ] {
        let dir =
            std::env::temp_dir().join(format!("asmforge-dump-stencil-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (written, expansion) =
            crate::stencil::listings_for_test(attr, item, &dir).expect("compiles and writes");
        let json_path = written
            .iter()
            .find(|p| p.extension().is_some_and(|e| e == "json"))
            .unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(json_path).unwrap()).unwrap();
        // The runtime description: `Stencil::new(name, bytes, &[Hole { .. }, ..], ..)` per
        // stencil, in `STENCILS` order.
        let text = expansion.to_string();
        let stencils: Vec<&str> = text.split("Stencil :: new").skip(1).collect();
        let variants = json["variants"].as_array().unwrap();
        assert_eq!(variants.len(), stencils.len());
        for (i, (v, st)) in variants.iter().zip(&stencils).enumerate() {
            assert_eq!(
                v["symbol"].as_str().unwrap().split("::").last(),
                Some(format!("STENCILS[{i}]").as_str())
            );
            let runtime: Vec<(String, String, bool, u64, u64)> = st
                .split("Hole {")
                .skip(1)
                .map(|h| {
                    let field = |k: &str| {
                        let rest = h.split(&format!("{k} :")).nth(1).unwrap().trim_start();
                        rest.split(" ,")
                            .next()
                            .unwrap()
                            .trim()
                            .trim_end_matches('}')
                            .trim()
                            .to_owned()
                    };
                    let num = |k: &str| {
                        let f = field(k);
                        let digits: String = f.chars().take_while(char::is_ascii_digit).collect();
                        digits
                            .parse::<u64>()
                            .unwrap_or_else(|e| panic!("{k}: {f:?} in {h}: {e}"))
                    };
                    let kind = field("kind").rsplit(":: ").next().unwrap().to_owned();
                    (
                        field("name").trim_matches('"').to_owned(),
                        kind,
                        field("signed") == "true",
                        num("offset"),
                        num("end"),
                    )
                })
                .collect();
            let holes = v["holes"].as_array().unwrap();
            assert!(!holes.is_empty());
            assert_eq!(holes.len(), runtime.len(), "{st}");
            let code = v["code_size"].as_u64().unwrap();
            for (h, (name, kind, signed, offset, end)) in holes.iter().zip(&runtime) {
                assert_eq!(h["name"].as_str().unwrap(), name);
                // `PoolF64 { lanes : 1u8 }` is `pool f64x1`, `Imm32` `imm32`.
                let k: String = kind
                    .to_ascii_lowercase()
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect();
                let want_kind = match k.strip_prefix("pool") {
                    Some(rest) => {
                        let lanes: String = rest[3..]
                            .trim_start_matches("lanes")
                            .chars()
                            .take_while(char::is_ascii_digit)
                            .collect();
                        format!("pool {}x{lanes}", &rest[..3])
                    }
                    None => k,
                };
                assert_eq!(h["kind"].as_str().unwrap(), want_kind);
                assert_eq!(h["signed"].as_bool().unwrap(), *signed);
                assert_eq!(h["offset"].as_u64().unwrap(), *offset);
                assert_eq!(h["end"].as_u64().unwrap(), *end);
                let width = h["width"].as_u64().unwrap();
                assert!(offset + width <= *end && *end <= code, "{h}");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
