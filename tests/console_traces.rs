//! What a shift leaves on the coordinator's computer (threat model, adversary L: "the console
//! writes no transcript or log"): the real `lifeline console` in a pseudo-terminal, its home,
//! configuration, cache, state and temporary folders all the test's own, through a shift with
//! a visitor answered. Afterwards not one file was written or changed there, nor in the keys'
//! folder, and the conversation's words are in none of them.

use crate::common;
use crate::key_scan;
use crate::terminal;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use terminal::TerminalConsole;

/// Every file below `roots`, with its content.
fn files(roots: &[&Path]) -> BTreeMap<PathBuf, Vec<u8>> {
    key_scan::files_under(roots)
        .into_iter()
        .map(|path| {
            let content = std::fs::read(&path).expect("readable file");
            (path, content)
        })
        .collect()
}

#[tokio::test]
async fn a_shift_in_the_terminal_writes_nothing_on_the_coordinator_s_computer() {
    let relay = TestRelay::start().await;
    let home = tempfile::tempdir().expect("home");
    let folders: Vec<(&str, PathBuf)> = [
        ("HOME", ""),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CACHE_HOME", ".cache"),
        ("TMPDIR", "tmp"),
    ]
    .into_iter()
    .map(|(name, below)| (name, home.path().join(below)))
    .collect();
    for (_, folder) in &folders {
        std::fs::create_dir_all(folder).expect("folder");
    }
    let keys = relay.paths().dev_coordinator();
    let before = files(&[home.path(), &keys]);

    let env: Vec<(&str, &Path)> = folders.iter().map(|(n, p)| (*n, p.as_path())).collect();
    let arguments = TerminalConsole::arguments(&relay, "");
    let mut console = TerminalConsole::run_with_env(&arguments, &env, 100, 30);
    console.sign_in_on_duty().await;
    let mut v = relay.visitor().await;
    console.until_on_screen("chat  en").await;
    console.type_keys("\x0e").await;
    assert_eq!(connected_to(&mut v).await, "Dev coordinator");
    v.send_text("the farm on the north road locks us in")
        .await
        .unwrap();
    console
        .until_on_screen("Visitor: the farm on the north road locks us in")
        .await;
    console.type_keys("we will send someone tonight\r").await;
    assert_eq!(
        next_text_visitor(&mut v).await,
        "we will send someone tonight"
    );
    // End of shift: Ctrl-C asks, y quits.
    console.type_keys("\x03y").await;
    assert!(console.exit_status().await.success(), "{}", console.shown());

    let after = files(&[home.path(), &keys]);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "files appeared or went"
    );
    for (path, content) in &after {
        assert_eq!(
            Some(content),
            before.get(path),
            "{} changed",
            path.display()
        );
        let text = String::from_utf8_lossy(content);
        for words in ["north road", "send someone tonight"] {
            assert!(!text.contains(words), "{} holds {words:?}", path.display());
        }
    }
}
