//! `ReceiptCode::parse` on arbitrary text: what a tipster types (or pastes) on the
//! follow-up page or into the widget.
//!
//! Input: `position u8 | replacement u8 | text`.
//! Besides "never panics": a code that parses shows and re-parses as itself (from both its
//! canonical and its grouped form); replacing any one symbol with another symbol, or
//! swapping two different neighbours, is caught by the check symbol before the slow KDF.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline::crypto::receipt::{ALPHABET, ReceiptCode, ReceiptError, SYMBOLS};

fuzz_target!(|data: &[u8]| {
    let [position, replacement, rest @ ..] = data else {
        return;
    };
    let Ok(typed) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(code) = ReceiptCode::parse(typed) else {
        return;
    };
    let canonical = code.canonical();
    assert_eq!(canonical.len(), SYMBOLS);
    assert_eq!(ReceiptCode::parse(&canonical), Ok(code.clone()));
    assert_eq!(ReceiptCode::parse(&code.display()), Ok(code.clone()));
    assert_eq!(
        ReceiptCode::parse(&canonical.to_lowercase()),
        Ok(code.clone())
    );

    let mut symbols = canonical.as_bytes().to_vec();
    let at = usize::from(*position) % SYMBOLS;
    let new = ALPHABET[usize::from(*replacement) % ALPHABET.len()];
    if symbols[at] != new {
        symbols[at] = new;
        let typo = String::from_utf8(symbols).expect("alphabet is ASCII");
        assert_eq!(
            ReceiptCode::parse(&typo),
            Err(ReceiptError::Check),
            "typo accepted"
        );
    }
    let mut symbols = canonical.as_bytes().to_vec();
    let at = usize::from(*position) % (SYMBOLS - 1);
    if symbols[at] != symbols[at + 1] {
        symbols.swap(at, at + 1);
        let swapped = String::from_utf8(symbols).expect("alphabet is ASCII");
        assert_eq!(
            ReceiptCode::parse(&swapped),
            Err(ReceiptError::Check),
            "swap accepted"
        );
    }
});
