// Every domain-separation string of docs/protocol.md, defined once. Each one pairs with the
// Rust constant named in its comment; test/labels.test.ts checks that every label the spec
// writes appears here and in src/crypto/ (and nowhere else in the widget's source). Never
// inline a label string in another file: a typo there would be a silent protocol fork.

/** Every label starts with this (§1); `labelled` appends a NUL after the label. */
export const LABEL_PREFIX = 'lifeline v1 ';
/** §3 Noise protocol name, `handshake::PROTOCOL_NAME` (exactly 32 bytes). */
export const PROTOCOL_NAME = 'Noise_NX_25519_ChaChaPoly_SHA256';
/** §3 prologue prefix, no NUL (`handshake::PROLOGUE_LABEL`). */
export const PROLOGUE_LABEL = 'lifeline v1 chat';
/** §3 the coordinator's signature over `h` (`handshake::SIGNATURE_LABEL`). */
export const SIGNATURE_LABEL = 'lifeline v1 handshake signature';
/** §4 associated data of every chat message (`session::MESSAGE_LABEL`). */
export const MESSAGE_LABEL = 'lifeline v1 message';
/** §2.1 organisation signature on a certificate (`certificate::CERTIFICATE_LABEL`). */
export const CERTIFICATE_LABEL = 'lifeline v1 certificate';
/** §2.2 organisation signature on the revocation list (`certificate::REVOCATION_LABEL`). */
export const REVOCATION_LABEL = 'lifeline v1 revocation list';
/** §5 HPKE info of a first tip (`sealed_tip::TIP_LABEL`). */
export const TIP_LABEL = 'lifeline v1 tip';
/** §5 HPKE info of a tipster's follow-up (`sealed_tip::FOLLOWUP_LABEL`). */
export const FOLLOWUP_LABEL = 'lifeline v1 tip follow-up';
/** §5 HPKE info of the organisation's reply (`sealed_tip::REPLY_LABEL`). */
export const REPLY_LABEL = 'lifeline v1 tip reply';
/** §5 HPKE info of a reply's copy for the inbox, coordinator side (`sealed_tip::REPLY_COPY_LABEL`). */
export const REPLY_COPY_LABEL = 'lifeline v1 tip reply copy';
/** §6 PBKDF2 salt label (`receipt::SALT_LABEL`). */
export const RECEIPT_SALT_LABEL = 'lifeline v1 receipt';
/** §6 HKDF info of the lookup id, plain ASCII without NUL (`receipt::LOOKUP_INFO`). */
export const RECEIPT_LOOKUP_INFO = 'lifeline v1 receipt lookup id';
/** §6 HKDF info of the tipster's X25519 key, plain ASCII without NUL (`receipt::KEY_INFO`). */
export const RECEIPT_KEY_INFO = 'lifeline v1 receipt x25519';
/** §7 proof-of-work input label (`proof_of_work::POW_LABEL`). */
export const POW_LABEL = 'lifeline v1 pow';
/** §7 proof-of-work context of tips and follow-ups: ASCII `tip`, no label prefix. */
export const POW_TIP_CONTEXT = 'tip';

// Coordinator-side labels: the widget never signs or checks these, but the spec's list is one
// list, so a client reading this file sees all of it (unused exports cost no bundle bytes).
/** §2.3 a coordinator's enrolment request (`enrolment::ENROLMENT_LABEL`). */
export const ENROLMENT_LABEL = 'lifeline v1 enrolment request';
/** §9.2 a coordinator's sign-in signature (`AUTH_LABEL`). */
export const COORDINATOR_AUTH_LABEL = 'lifeline v1 coordinator auth';
/** §5.1 HPKE info of a hand-over note between coordinators (`handover_note::NOTE_LABEL`). */
export const HANDOVER_NOTE_LABEL = 'lifeline v1 handover note';
/** §2.3 a coordinator's renewal request, signed by the current certificate's key (`renewal::RENEWAL_LABEL`). */
export const RENEWAL_LABEL = 'lifeline v1 renewal request';
/** §2.5 HPKE info of an inbox-key grant to a coordinator (`inbox_grant::GRANT_LABEL`). */
export const INBOX_GRANT_LABEL = 'lifeline v1 inbox grant';
