//! The output layer is one place: only `cli/src/render/` and `main.rs`
//! write to stdout or stderr, and every `--format` is the one `Format`
//! type. A command that prints on its own bypasses the closed-pipe and
//! write-error handling and the JSON schemas; this test names it.

mod common;

use std::path::Path;

#[test]
fn only_render_and_main_print_and_one_format_type() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = common::files_with_extension(&src, "rs");
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
