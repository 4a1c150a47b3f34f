//! The bare stack (`loadgen --baseline-server`): axum WebSocket on tokio with the relay's
//! own listener (no peer address, `TCP_NODELAY`, the same socket send buffer) and the same
//! per-connection plumbing (4 KiB read buffer, no write buffer, split socket, a writer task
//! behind a bounded queue). No protocol and no store: each text frame is echoed back.

use axum::Router;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use lifeline::protocol::frames::MAX_FRAME_BYTES;
use lifeline::relay::listener::Plain;

/// The relay's default outbound queue per connection.
const OUTBOUND_QUEUE: usize = 512;

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
    ws.read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(2 * MAX_FRAME_BYTES)
        .max_frame_size(2 * MAX_FRAME_BYTES)
        .on_upgrade(echo)
}

async fn echo(socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Utf8Bytes>(OUTBOUND_QUEUE);
    let writer = tokio::spawn(async move {
        while let Some(text) = rx.recv().await {
            if sink.send(Message::Text(text)).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    while let Some(Ok(message)) = stream.next().await {
        // A full queue means the client is not reading: cut off, as the relay does.
        let keep_going = match message {
            Message::Text(text) => tx.try_send(text).is_ok(),
            Message::Close(_) => false,
            _ => true,
        };
        if !keep_going {
            break;
        }
    }
    drop(tx);
    let _ = writer.await;
}
