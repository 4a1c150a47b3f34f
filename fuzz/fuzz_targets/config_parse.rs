//! `config::Config::parse`: `config/lifeline.toml` and the `LIFELINE_*` overrides, read at
//! the relay's start (from whoever deployed it, or a compromised deployment pipeline).
//!
//! Input: `toml text | 0x00 | NAME=VALUE lines` (lossy UTF-8; without a NUL, no
//! overrides). Besides "never panics": a configuration that parsed also validates, and
//! written back as TOML it parses (without overrides) to the same configuration.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline::config::Config;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (toml_text, env) = text.split_once('\0').unwrap_or((&text, ""));
    let env = env.lines().filter_map(|line| {
        line.split_once('=')
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
    });
    let Ok(config) = Config::parse(toml_text, env) else {
        return;
    };
    assert_eq!(config.validate(), Ok(()));
    let written = toml::to_string(&config).expect("a parsed config serialises");
    let again = Config::parse(&written, std::iter::empty())
        .unwrap_or_else(|e| panic!("written back as {written:?}, it no longer parses: {e}"));
    assert_eq!(format!("{again:?}"), format!("{config:?}"));
});
