//! `console::resources::Resources::parse`: the TOML of `config/resources.toml`, the ready-made
//! texts a coordinator inserts into replies.
//!
//! Input: `lang_len u8 | lang | toml text` (lossy UTF-8). Besides "never panics": every
//! parsed resource has a non-blank title and text, and `for_lang` offers every resource
//! exactly once, whatever the conversation's language tag.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline::console::resources::Resources;

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n).min(rest.len());
    let lang = String::from_utf8_lossy(&rest[..n]);
    let Ok(resources) = Resources::parse(&String::from_utf8_lossy(&rest[n..])) else {
        return;
    };
    for r in &resources.items {
        assert!(!r.title.trim().is_empty() && !r.text.trim().is_empty());
    }
    for offered in [resources.for_lang(Some(&lang)), resources.for_lang(None)] {
        assert_eq!(offered.len(), resources.items.len());
        for r in &resources.items {
            let times = |list: &[&lifeline::console::resources::Resource]| {
                list.iter().filter(|o| std::ptr::eq(**o, r)).count()
            };
            assert_eq!(times(&offered), 1, "a resource offered other than once");
        }
    }
});
