//! Where an attribute stands: a kernel inside an `impl` or `trait` block.
//!
//! A kernel comes with a module of its own name (`k::INFO`, `k::call`, its variants), and an
//! `impl` cannot hold a module: rustc would report "module is not supported in `trait`s or
//! `impl`s" at the generated module and more errors after it. An attribute macro is not told
//! what contains its item, so the shim reads the source file at the attribute's position
//! (`proc_macro::Span::local_file`, `line`, `column`) and finds the innermost block around it;
//! inside an `impl` or `trait` it emits one error and the function without its body. Text
//! that is not a local file (an item built by another macro) is not checked.
//!
//! The scan blanks comments, string and character literals, then keeps a stack of the open
//! braces with the item header before each (`impl<T> Engine<T> where ..`).

/// What holds the item at 1-based `line` and `column` of `src`: `Some("impl")` or
/// `Some("trait")` when the innermost block around that position is one, else `None`.
pub fn container(src: &str, line: usize, column: usize) -> Option<&'static str> {
    let bytes = src.as_bytes();
    let (mut ln, mut col) = (1usize, 1usize);
    let mut clean: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut stack: Vec<Option<&'static str>> = Vec::new();
    let mut header_start = 0usize;
    let mut i = 0usize;
    while i < bytes.len() {
        if (ln, col) >= (line, column) {
            break;
        }
        let c = bytes[i];
        let skip = literal_or_comment(bytes, i);
        if skip > 0 {
            for &b in &bytes[i..i + skip] {
                clean.push(if b == b'\n' { b'\n' } else { b' ' });
                if b == b'\n' {
                    ln += 1;
                    col = 1;
                } else {
                    col += 1;
                }
            }
            i += skip;
            continue;
        }
        clean.push(c);
        match c {
            b'{' => {
                stack.push(classify(&clean[header_start..clean.len() - 1]));
                header_start = clean.len();
            }
            b'}' => {
                stack.pop();
                header_start = clean.len();
            }
            b';' => header_start = clean.len(),
            _ => {}
        }
        if c == b'\n' {
            ln += 1;
            col = 1;
        } else {
            col += 1;
        }
        i += 1;
    }
    stack.last().copied().flatten()
}

/// Bytes taken by a comment or literal starting at `i` (0 if none starts there).
fn literal_or_comment(b: &[u8], i: usize) -> usize {
    let at = |k: usize| b.get(i + k).copied().unwrap_or(0);
    let rest = b.len() - i;
    match (at(0), at(1)) {
        (b'/', b'/') => b[i..].iter().position(|&c| c == b'\n').unwrap_or(rest),
        (b'/', b'*') => {
            let mut depth = 0usize;
            let mut k = 0usize;
            while k < rest {
                if at(k) == b'/' && at(k + 1) == b'*' {
                    depth += 1;
                    k += 2;
                } else if at(k) == b'*' && at(k + 1) == b'/' {
                    depth -= 1;
                    k += 2;
                    if depth == 0 {
                        return k;
                    }
                } else {
                    k += 1;
                }
            }
            rest
        }
        (b'"', _) => quoted(b, i, 1, 0),
        (b'b', b'"') | (b'c', b'"') => quoted(b, i, 2, 0),
        (b'r', b'"') | (b'r', b'#') => raw(b, i, 1),
        (b'b', b'r') | (b'c', b'r') if matches!(at(2), b'"' | b'#') => raw(b, i, 2),
        (b'\'', _) => {
            // 'a' or '\n' is a character; 'a (a lifetime or label) is not.
            if at(1) == b'\\' {
                quoted(b, i, 1, b'\'')
            } else {
                let ch = std::str::from_utf8(&b[i + 1..])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .map_or(1, char::len_utf8);
                if at(1 + ch) == b'\'' { 2 + ch } else { 0 }
            }
        }
        _ => 0,
    }
}

/// A `"`-delimited literal (or `'` when `close` says so) whose opening quote ends at `open`.
fn quoted(b: &[u8], i: usize, open: usize, close: u8) -> usize {
    let close = if close == 0 { b'"' } else { close };
    let mut k = i + open;
    while k < b.len() {
        match b[k] {
            b'\\' => k += 2,
            c if c == close => return k + 1 - i,
            _ => k += 1,
        }
    }
    b.len() - i
}

/// `r#"..."#` with any number of `#`, the `r` at `i + prefix - 1`.
fn raw(b: &[u8], i: usize, prefix: usize) -> usize {
    let mut k = i + prefix;
    let mut hashes = 0usize;
    while b.get(k) == Some(&b'#') {
        hashes += 1;
        k += 1;
    }
    if b.get(k) != Some(&b'"') {
        return 0;
    }
    k += 1;
    while k < b.len() {
        if b[k] == b'"'
            && b[k + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == b'#')
                .count()
                == hashes
        {
            return k + 1 + hashes - i;
        }
        k += 1;
    }
    b.len() - i
}

/// `impl`/`trait` for an item header such as `#[cfg(x)] pub unsafe impl<T> S<T> where T: X`.
fn classify(header: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(header);
    let mut s = text.trim_start();
    loop {
        if let Some(rest) = s.strip_prefix("#") {
            // An attribute: skip to its matching `]`.
            let mut depth = 0usize;
            let mut end = None;
            for (k, c) in rest.char_indices() {
                match c {
                    '[' => depth += 1,
                    ']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            end = Some(k + 1);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            s = rest[end?..].trim_start();
            continue;
        }
        let word_end = s
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        let word = &s[..word_end];
        match word {
            "pub" => {
                s = s[word_end..].trim_start();
                if let Some(rest) = s.strip_prefix('(') {
                    s = rest.split_once(')').map_or("", |(_, r)| r).trim_start();
                }
            }
            "unsafe" | "default" | "auto" => s = s[word_end..].trim_start(),
            "impl" => return Some("impl"),
            "trait" => return Some("trait"),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::container;

    /// The position just before the marker `@` (1-based line and column).
    fn at(src: &str) -> (String, usize, usize) {
        let pos = src.find('@').unwrap();
        let line = src[..pos].matches('\n').count() + 1;
        let column = pos - src[..pos].rfind('\n').map_or(0, |n| n + 1) + 1;
        (src.replacen('@', " ", 1), line, column)
    }

    #[test]
    fn finds_impl_and_trait_blocks() {
        for (src, want) in [
            (
                "struct S;\nimpl S {\n    @#[kernel] fn k() {}\n}",
                Some("impl"),
            ),
            (
                "/// docs { not a block }\n#[cfg(all())]\npub(crate) unsafe impl<T: Copy> X for S<T> where T: Y {\n  @#[kernel]\n}",
                Some("impl"),
            ),
            ("pub trait T {\n  @#[kernel]\n}", Some("trait")),
            ("mod m {\n  @#[kernel]\n}", None),
            ("@#[kernel] fn k() {}", None),
            (
                "impl S {\n  fn f() {\n    @#[kernel] fn k() {}\n  }\n}",
                None,
            ),
            ("impl S { fn f() {} }\n@#[kernel] fn k() {}", None),
            ("const C: &str = \"impl X {\";\n@#[kernel]", None),
            (
                "fn f<'a>(x: &'a u8) -> char { '{' }\nimpl S {\n  @#[kernel]\n}",
                Some("impl"),
            ),
            ("/* impl S { */ mod m { /* } */\n  @#[kernel]\n}", None),
            (
                "const R: &str = r#\"}\"#;\nimpl S {\n  @#[kernel]\n}",
                Some("impl"),
            ),
        ] {
            let (text, line, column) = at(src);
            assert_eq!(container(&text, line, column), want, "{src}");
        }
    }
}
