//! The output layer is one place: only `cli/src/render/` and `main.rs`
//! write to stdout or stderr, and every `--format` is the one `Format`
//! type. A command that prints on its own bypasses the closed-pipe and
//! write-error handling and the JSON schemas; this test names it.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn only_render_and_main_print_and_one_format_type() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut offenders = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        if rel.starts_with("render") || rel == Path::new("main.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for needle in [
                "println!",
                "print!",
                "eprintln!",
                "eprint!",
                "stdout()",
                "stderr()",
                "json!",
                "enum Format",
            ] {
                if code.contains(needle) {
                    offenders.push(format!("{}:{}: {needle}", rel.display(), n + 1));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "output outside cli/src/render:\n{}",
        offenders.join("\n")
    );
}
