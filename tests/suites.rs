//! Every integration suite in one test binary: each file beside this one is a module here
//! (`cargo test --test suites relay_chat::` runs one suite; `cargo nextest run -E
//! 'test(/^relay_chat::/)'` the same under nextest).
//!
//! Why one binary and not one per file: each test binary links the whole relay, console and
//! their dependencies again. Seventy of them cost CI more than a minute of linking and as much
//! again in clippy, for no isolation that nextest does not already give (it runs every test
//! in its own process).
//!
//! The shared helpers live in `common/`: the relay harness (`common`) and the process-level
//! helpers that suites name directly (`binary`, `terminal`, ...).

#[path = "common/binary.rs"]
mod binary;
mod common;
#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/desk.rs"]
mod desk;
#[path = "common/faults.rs"]
mod faults;
#[path = "common/inbox_relay.rs"]
mod inbox_relay;
#[path = "common/key_scan.rs"]
mod key_scan;
#[path = "common/keys_tool.rs"]
mod keys_tool;
#[path = "common/killed_node.rs"]
mod killed_node;
#[path = "common/node_process.rs"]
mod node_process;
#[path = "common/noscript.rs"]
mod noscript;
#[path = "common/organisation.rs"]
mod organisation;
#[path = "common/renewing.rs"]
mod renewing;
#[path = "common/screen.rs"]
mod screen;
#[path = "common/terminal.rs"]
mod terminal;
#[path = "common/tip_replies.rs"]
mod tip_replies;

mod abuse;
mod activity_log;
mod config;
mod console_away;
mod console_e2e;
mod console_holds;
mod console_identity;
mod console_new_keys;
mod console_new_keys_terminal;
mod console_outage;
mod console_refused;
mod console_traces;
mod coordinator_resume;
mod crypto_certificates;
mod crypto_handshake;
mod crypto_published_vectors;
mod crypto_tips;
mod deploy_kit;
mod deploy_proxies;
mod deploy_stack;
mod desk_renewal;
mod desk_security;
mod disk_erasure;
mod end_then_resume;
mod fault_runs;
mod grant_mid_shift;
mod inbox_grants;
mod inbox_previous;
mod inbox_rotation;
mod keys_cli;
mod keys_in_use_outage;
mod local_handoff;
mod log_stamps;
mod metadata_audit;
mod metrics_listener;
mod month;
mod node_kill_end;
mod operator_checks;
mod privacy;
mod protocol_frames;
mod queue_order;
mod redis_message_path;
mod redis_schema;
mod redis_times;
mod relay_chat;
mod relay_http;
mod relay_limits;
mod relay_nodes;
mod relay_noscript;
mod relay_redis;
mod relay_setup;
mod relay_tips;
mod relay_tls;
mod renewal;
mod revocations_live;
mod security_findings;
mod signed_in_twice;
mod store_edges;
mod store_faults;
mod store_lost_told;
mod store_steps;
mod tip_atomic_writes;
mod tip_file_times;
mod tip_files;
mod tip_read_faults;
mod tip_team;
mod tip_thread;
mod tls_expiry;
mod transfer_consent;
mod transfer_faults;
mod vectors;
mod wake_routing;
