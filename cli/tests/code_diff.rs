//! The code diff of executables (`diff/code`): two C programs compiled with
//! gcc at test time; the second adds a function that calls `connect()` and
//! holds a URL. The JSON names the function, the import under `network` and
//! the URL, with and without symbols (stripped: functions from `.eh_frame`).

mod common;
use common::{glassbox_in, json, stdout, succeed};

use std::path::Path;
use std::process::Command;

/// The old and new programs (testdata/code/README.md).
const V1: &str = include_str!("../../testdata/code/v1.c");
const V2: &str = include_str!("../../testdata/code/v2.c");

/// Compiles `src` to `dir/<release>/bin/app`, stripped when asked.
fn build(dir: &Path, release: &str, src: &str, stripped: bool) {
    let c = dir.join(format!("{release}.c"));
    std::fs::write(&c, src).unwrap();
    let out = dir.join(release).join("bin");
    std::fs::create_dir_all(&out).unwrap();
    let app = out.join("app");
    succeed(Command::new("gcc").args(["-O1", "-o"]).arg(&app).arg(&c));
    if stripped {
        succeed(Command::new("strip").arg(&app));
    }
}

/// The pair compiled in a fresh directory: `old/bin/app`, `new/bin/app`.
fn pair(stripped: bool) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    build(t.path(), "old", V1, stripped);
    build(t.path(), "new", V2, stripped);
    t
}

fn code_of(t: &Path) -> serde_json::Value {
    let o = glassbox_in(&["diff", "old", "new", "--format", "json"], t);
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));
    let v = json(&o);
    // The code diff is documented in the diff schema; the output keeps to it.
    let schema = common::repo_root().join("core/schema/diff.v1.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let c = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "bin/app" || c["path"] == "bin/app.exe")
        .expect("bin/app changed");
    c["content"]["code"].clone()
}

fn names(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

fn strs(v: &serde_json::Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default()
}

#[test]
#[cfg_attr(not(any(ci, has_gcc)), ignore = "needs gcc")]
fn new_network_function_is_named_with_its_import_and_url() {
    let t = pair(false);
    let code = code_of(t.path());
    let f = &code["functions"];
    assert_eq!(f["disassembly"], "x86-64");
    assert_eq!(names(&f["added"]), vec!["upload_metrics"], "{f}");
    let changed = names(&f["changed"]);
    assert!(changed.contains(&"main".to_string()), "{changed:?}");
    // helper only moved (upload_metrics was inserted before it): its
    // calls and string reference have new displacements, same code.
    assert!(!changed.contains(&"helper".to_string()), "{changed:?}");
    assert!(f["moved_count"].as_u64().unwrap() >= 1, "{f}");
    let main = f["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "main")
        .unwrap();
    let added: Vec<&str> = main["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["tag"] == "added")
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert!(added.contains(&"call upload_metrics"), "{added:?}");
    let surface = &code["surface"]["added"];
    assert!(
        strs(&surface["imports"]["network"]).contains(&"connect"),
        "{surface}"
    );
    assert_eq!(
        strs(&surface["indicators"]["url"]),
        vec!["https://collect.example.net/upload"]
    );
    assert_eq!(
        strs(&surface["indicators"]["host"]),
        vec!["collect.example.net"]
    );
    let added_strings: Vec<&str> = code["strings"]["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert!(added_strings.contains(&"https://collect.example.net/upload"));
}

#[test]
#[cfg_attr(not(any(ci, all(has_gcc, has_strip))), ignore = "needs gcc and strip")]
fn stripped_pair_still_shows_functions_from_unwind_tables() {
    let t = pair(true);
    let code = code_of(t.path());
    let f = &code["functions"];
    let added = f["added"].as_array().unwrap();
    assert_eq!(added.len(), 1, "{f}");
    assert_eq!(added[0]["source"], "eh-frame");
    assert!(added[0]["name"].as_str().unwrap().starts_with("fn@0x"));
    // main and helper have no names any more; helper still reads as moved,
    // and the function that calls the new one as changed.
    assert!(f["moved_count"].as_u64().unwrap() >= 1, "{f}");
    let calls_new = f["changed"].as_array().unwrap().iter().any(|c| {
        c["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["tag"] == "added" && l["text"] == "call <fn>")
    });
    assert!(calls_new, "{f}");
    let surface = &code["surface"]["added"];
    assert!(strs(&surface["imports"]["network"]).contains(&"connect"));
    assert!(strs(&surface["indicators"]["url"]).contains(&"https://collect.example.net/upload"));
}

#[test]
#[cfg_attr(not(any(ci, has_gcc)), ignore = "needs gcc")]
fn text_report_shows_the_disassembly_diff_and_summary_only_the_surface() {
    let t = pair(false);
    let o = glassbox_in(&["diff", "old", "new"], t.path());
    let text = stdout(&o);
    assert!(text.contains("functions: 1 added, 0 removed, "), "{text}");
    assert!(text.contains("+ upload_metrics"), "{text}");
    assert!(text.contains("call upload_metrics"), "{text}");
    assert!(text.contains("network: connect"), "{text}");
    assert!(
        text.contains("url: https://collect.example.net/upload"),
        "{text}"
    );
    let s = glassbox_in(&["diff", "old", "new", "--summary"], t.path());
    assert_eq!(s.status.code(), Some(1));
    let summary = stdout(&s);
    assert!(summary.contains("network: connect"), "{summary}");
    assert!(summary.contains("functions: 1 added"), "{summary}");
    assert!(!summary.contains("call upload_metrics"), "{summary}");
    assert!(summary.len() < text.len() / 2, "{summary}");
}

#[test]
#[cfg_attr(not(any(ci, has_mingw)), ignore = "needs x86_64-w64-mingw32-gcc")]
fn pe_pair_gains_winhttp_under_network() {
    let t = tempfile::tempdir().unwrap();
    let fixtures = common::repo_root().join("testdata/code");
    mingw_pair(
        t.path(),
        &fixtures.join("win_v1.c"),
        &fixtures.join("win_v2.c"),
    );
    let code = code_of(t.path());
    let f = &code["functions"];
    assert_eq!(f["disassembly"], "x86-64");
    let added = f["added"].as_array().unwrap();
    assert_eq!(names(&f["added"]), vec!["report"], "{f}");
    assert_eq!(added[0]["source"], "pdata");
    let surface = &code["surface"]["added"];
    let network = strs(&surface["imports"]["network"]);
    assert!(network.contains(&"WinHttpOpen"), "{surface}");
    assert!(
        strs(&surface["indicators"]["host"]).contains(&"collect.example.net"),
        "{surface}"
    );
}

/// Compiles `old_src` and `new_src` (linked with WinHTTP) with MinGW to
/// `dir/{old,new}/bin/app.exe`.
fn mingw_pair(dir: &Path, old_src: &Path, new_src: &Path) {
    for (release, src, libs) in [
        ("old", old_src, &[][..]),
        ("new", new_src, &["-lwinhttp"][..]),
    ] {
        let bin = dir.join(release).join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        succeed(
            Command::new("x86_64-w64-mingw32-gcc")
                .args(["-O1", "-o"])
                .arg(bin.join("app.exe"))
                .arg(src)
                .args(libs),
        );
    }
}

/// A call to an import reads as the import, `DLL!Function`, not as a slot
/// in `.idata` or an address in `.text`: through the import address table
/// (`call [KERNEL32.dll!GetTickCount]`, a `dllimport` declaration) and
/// through the thunk MinGW links for other imports (`call
/// WINHTTP.dll!WinHttpOpen`).
#[test]
#[cfg_attr(not(any(ci, has_mingw)), ignore = "needs x86_64-w64-mingw32-gcc")]
fn pe_import_calls_are_named_dll_and_function() {
    let t = tempfile::tempdir().unwrap();
    let (v1, v2) = (t.path().join("v1.c"), t.path().join("v2.c"));
    std::fs::write(
        &v1,
        "#include <windows.h>\nint main(int argc, char **argv) {\n  if (argc > 5) return 7;\n  return (int)GetTickCount();\n}\n",
    )
    .unwrap();
    std::fs::write(
        &v2,
        "#include <windows.h>\n#include <winhttp.h>\nint main(int argc, char **argv) {\n  if (argc > 5) return WinHttpOpen(L\"agent\", 0, NULL, NULL, 0) != NULL;\n  return (int)GetTickCount();\n}\n",
    )
    .unwrap();
    mingw_pair(t.path(), &v1, &v2);
    let code = code_of(t.path());
    let main = code["functions"]["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "main")
        .unwrap_or_else(|| panic!("main changed: {code}"));
    let lines: Vec<(String, String)> = main["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let text = l["text"].as_str().unwrap().to_ascii_lowercase();
            (l["tag"].as_str().unwrap().to_string(), text)
        })
        .collect();
    assert!(
        lines
            .iter()
            .any(|(tag, t)| tag == "added" && t == "call winhttp.dll!winhttpopen"),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|(tag, t)| tag == "context" && t == "call qword ptr [kernel32.dll!gettickcount]"),
        "{lines:#?}"
    );
    assert!(
        !lines
            .iter()
            .any(|(_, t)| t.contains("<.idata>") || t.contains("<.text>")),
        "{lines:#?}"
    );
}

/// An import by ordinal is still an import: the new program calls
/// `connect` through `ws2_32.dll` ordinal 4 (an import library made from a
/// `.def` with `NONAME`), so its import table holds no name. It must show
/// under network as `ws2_32.dll#4` (it was skipped: an update gained
/// sockets with an unchanged surface).
#[test]
#[cfg_attr(not(any(ci, has_mingw)), ignore = "needs x86_64-w64-mingw32-gcc")]
fn pe_import_by_ordinal_shows_under_network() {
    let t = tempfile::tempdir().unwrap();
    let def = t.path().join("ws.def");
    std::fs::write(&def, "LIBRARY ws2_32.dll\nEXPORTS\nconnect @4 NONAME\n").unwrap();
    let lib = t.path().join("libwsord.a");
    succeed(
        Command::new("x86_64-w64-mingw32-dlltool")
            .arg("-d")
            .arg(&def)
            .arg("-l")
            .arg(&lib),
    );
    let body = |call: &str| {
        format!(
            "#include <windows.h>\nint main(int argc, char **argv) {{\n  if (argc > 5) return {call};\n  return (int)GetTickCount();\n}}\n"
        )
    };
    for (release, call, libs) in [
        ("old", "7", vec![]),
        ("new", "connect(0, 0, 0)", vec![lib.clone()]),
    ] {
        let src = t.path().join(format!("{release}.c"));
        std::fs::write(&src, body(call)).unwrap();
        let bin = t.path().join(release).join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        succeed(
            Command::new("x86_64-w64-mingw32-gcc")
                .args(["-O1", "-o"])
                .arg(bin.join("app.exe"))
                .arg(&src)
                .args(&libs),
        );
    }
    let code = code_of(t.path());
    let surface = &code["surface"]["added"];
    let network = strs(&surface["imports"]["network"]);
    assert!(network.contains(&"ws2_32.dll#4"), "{surface}");
}
