//! The real `lifeline console` binary in a pseudo-terminal, for the suites that drive it
//! as a person would: keys typed in, the screen read back ([`crate::screen`]). Included with
//! `#[path]` (with `common/screen.rs` as `screen`) by those suites only.
//!
//! It must never leave a console running: dropping it kills the process.
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::TestRelay;
use crate::screen;

const WAIT: Duration = Duration::from_secs(15);

/// The real `lifeline console` binary in a pseudo-terminal (`script` gives it one): what it
/// prints goes to `screen`, and `type_keys` writes to it as a keyboard would.
pub struct TerminalConsole {
    child: std::process::Child,
    keyboard: std::process::ChildStdin,
    screen: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    size: (usize, usize),
}

impl TerminalConsole {
    pub fn start(relay: &TestRelay) -> Self {
        Self::start_sized(relay, 100, 30)
    }

    /// The console in a terminal of `cols` × `rows`.
    pub fn start_sized(relay: &TestRelay, cols: usize, rows: usize) -> Self {
        Self::start_with(relay, "", cols, rows)
    }

    /// The console with more `options` (shell words) in a terminal of `cols` × `rows`.
    pub fn start_with(relay: &TestRelay, options: &str, cols: usize, rows: usize) -> Self {
        Self::run(&Self::arguments(relay, options), cols, rows)
    }

    /// The arguments [`Self::start_with`] gives: the relay, its development coordinator
    /// keys, the shipped resources, and `options`.
    pub fn arguments(relay: &TestRelay, options: &str) -> String {
        format!(
            "console --relay ws://{} --dev-keys {} --resources {} {options}",
            relay.addr,
            relay.paths().dev_coordinator().display(),
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("config/resources.toml")
                .display()
        )
    }

    /// `lifeline <arguments>` (shell words) in a terminal of `cols` × `rows`.
    pub fn run(arguments: &str, cols: usize, rows: usize) -> Self {
        Self::run_with_env(arguments, &[], cols, rows)
    }

    /// [`Self::run`] with `env` set for the console (a home folder of the test's own, say).
    pub fn run_with_env(arguments: &str, env: &[(&str, &Path)], cols: usize, rows: usize) -> Self {
        use std::io::Read;
        use std::process::{Command as Process, Stdio};
        let console = format!(
            "stty cols {cols} rows {rows}; exec {} {arguments}",
            env!("CARGO_BIN_EXE_lifeline"),
        );
        let mut child = Process::new("script")
            .args(["-qefc", &console, "/dev/null"])
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("script(1) runs the console in a pseudo-terminal");
        let keyboard = child.stdin.take().unwrap();
        let mut output = child.stdout.take().unwrap();
        let screen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = output.read(&mut buf) {
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Self {
            child,
            keyboard,
            screen,
            size: (rows, cols),
        }
    }

    pub fn shown(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    /// What a person sees on the terminal now.
    pub fn screen(&self) -> screen::Screen {
        screen::Screen::replay(&self.screen.lock().unwrap(), self.size.0, self.size.1)
    }

    /// Waits until some row of the screen shows `text` whole.
    pub async fn until_on_screen(&self, text: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.screen().shows(text) {
            assert!(
                Instant::now() < deadline,
                "the screen never showed {text:?}; it shows:\n{}",
                self.screen().rows().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn until_shown(&self, text: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.shown().contains(text) {
            assert!(
                Instant::now() < deadline,
                "the console never showed {text:?}; it showed:\n{}",
                self.shown()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `line` and Enter at the prompt on screen, then waits for `next` to be shown
    /// once more than before.
    pub async fn answer(&mut self, next: &str, line: &str) {
        let before = self.shown().matches(next).count();
        // The prompt switches the terminal to raw mode just after printing itself.
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.type_keys(&format!("{line}\r")).await;
        let deadline = Instant::now() + WAIT;
        while self.shown().matches(next).count() <= before {
            assert!(
                Instant::now() < deadline,
                "never asked {next:?}:\n{}",
                self.shown()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Chooses the idle lock's passphrase, then goes on duty (Ctrl-D).
    pub async fn sign_in_on_duty(&mut self) {
        self.until_shown("Choose a passphrase").await;
        self.lock_passphrase("terminal passphrase").await;
        self.until_on_screen("Off duty. Ctrl-D goes on duty").await;
        self.type_keys("\x04").await;
        self.until_on_screen("ON DUTY").await;
    }

    /// Chooses the idle lock's passphrase (asked twice) at the prompt on screen.
    pub async fn lock_passphrase(&mut self, passphrase: &str) {
        self.answer("Type it again", passphrase).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.type_keys(&format!("{passphrase}\r")).await;
    }

    pub async fn type_keys(&mut self, keys: &str) {
        use std::io::Write;
        // One key at a time, as typed: the key reader sees each as its own event.
        for key in keys.chars() {
            write!(self.keyboard, "{key}").unwrap();
            self.keyboard.flush().unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends one key that is an escape sequence (an arrow: `"\x1b[B"`) in one write: typed
    /// a character at a time, the reader would take its ESC for the Esc key.
    pub async fn press_sequence(&mut self, sequence: &str) {
        use std::io::Write;
        self.keyboard.write_all(sequence.as_bytes()).unwrap();
        self.keyboard.flush().unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    pub async fn exit_status(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the console did not exit; it showed:\n{}", self.shown());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for TerminalConsole {
    fn drop(&mut self) {
        // A failed test leaves nothing running: the console goes with its terminal.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
