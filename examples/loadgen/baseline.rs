//! The bare stack (`loadgen --baseline-server`): axum WebSocket on tokio with the relay's
//! own listener (no peer address, `TCP_NODELAY`, the same socket send buffer) and the
//! relay's own per-connection plumbing (`lifeline::relay::connection`: the same socket
//! settings, split socket, a writer task behind a bounded queue that writes queued frames
//! together). No protocol and no store: each text frame is echoed back.

use std::time::Duration;

use axum::Router;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use lifeline::relay::connection::{self, Incoming, RateLimits};
use lifeline::relay::listener::Plain;

/// The relay's default outbound queue per connection.
const OUTBOUND_QUEUE: usize = 512;
const UNLIMITED: RateLimits = RateLimits {
    frames_per_s: u32::MAX,
    frames_burst: u32::MAX,
    bytes_per_s: u32::MAX,
};

pub fn serve() -> std::process::ExitCode {
    // TOKIO_WORKER_THREADS is honoured, as for the relay.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        println!("baseline listening on {addr}");
        let app = Router::new().route("/echo", get(upgrade));
        axum::serve(Plain(listener), app).await.expect("serve");
    });
    std::process::ExitCode::SUCCESS
}

async fn upgrade(ws: WebSocketUpgrade) -> Response {
    connection::sized(ws, connection::VISITOR_READ_BUFFER).on_upgrade(echo)
}

async fn echo(socket: WebSocket) {
    let mut inbox = connection::open(socket, OUTBOUND_QUEUE, Duration::from_secs(600), UNLIMITED);
    // A full queue means the client is not reading: cut off, as the relay does.
    while let Incoming::Text(text) = inbox.next().await {
        if !inbox.outbox.send_text(text) {
            break;
        }
    }
    inbox.outbox.close(lifeline::protocol::CloseCode::Ended);
    inbox.drain().await;
}
