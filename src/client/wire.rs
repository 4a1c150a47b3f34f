//! A WebSocket connection to a relay, speaking JSON frames. Its own reader task reads the
//! socket into a queue for [`Wire::recv`] and resends what the relay refused with `retry`
//! when it is due ([`super::outbox`]), so a client that is not reading still honours it.
//!
//! It must never outlive its owner: dropping the [`Wire`] stops the task and the socket.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, mpsc};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{Error as WsError, ProtocolError};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use super::ClientError;
use super::outbox::{Outbox, Stream};
use crate::protocol::{self, RelayFrame};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Sender = Arc<Mutex<SplitSink<Socket, Message>>>;
type Received = Result<RelayFrame, ClientError>;

/// One WebSocket to the relay, speaking JSON frames.
pub struct Wire {
    sink: Sender,
    frames: mpsc::UnboundedReceiver<Received>,
    outbox: Outbox,
    reader: tokio::task::JoinHandle<()>,
    timeout: Duration,
    /// A frame already read by [`Wire::has_ready`], returned by the next [`Wire::recv`].
    lookahead: Option<Received>,
    /// A second handle on the TCP socket, so [`Wire::cut`] can fail it as a network would
    /// (the WebSocket's halves belong to the reader task and the sender). Tests only.
    #[cfg(feature = "test-cut")]
    tcp: Option<std::net::TcpStream>,
}

/// A duplicate of the socket's descriptor under the WebSocket (and TLS, if any).
#[cfg(feature = "test-cut")]
fn tcp_handle(stream: &MaybeTlsStream<TcpStream>) -> Option<std::net::TcpStream> {
    use std::os::fd::AsFd;
    let tcp = match stream {
        MaybeTlsStream::Plain(tcp) => tcp,
        MaybeTlsStream::Rustls(tls) => tls.get_ref().0,
        _ => return None,
    };
    tcp.as_fd()
        .try_clone_to_owned()
        .ok()
        .map(std::net::TcpStream::from)
}

impl Drop for Wire {
    fn drop(&mut self) {
        // The task holds the socket's read half and a handle on its write half: stopping it
        // is what closes the connection when the wire is dropped.
        self.reader.abort();
    }
}

/// Whom a `wss://` relay's certificate may chain to: the Web PKI roots, and an
/// organisation's own certificate authority if it runs one.
#[derive(Clone, Default)]
pub struct TlsTrust {
    extra_roots: Vec<CertificateDer<'static>>,
}

impl TlsTrust {
    /// Also trusts the CA certificates in the PEM file at `path`.
    pub fn with_ca_file(path: &Path) -> Result<Self, ClientError> {
        let extra_roots = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| ClientError::Connect(format!("CA file {}: {e}", path.display())))?;
        if extra_roots.is_empty() {
            return Err(ClientError::Connect(format!(
                "CA file {}: no certificate in it",
                path.display()
            )));
        }
        Ok(Self { extra_roots })
    }

    fn connector(&self) -> Result<Connector, ClientError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in &self.extra_roots {
            roots
                .add(cert.clone())
                .map_err(|e| ClientError::Connect(format!("CA certificate: {e}")))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientError::Connect(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Connector::Rustls(Arc::new(config)))
    }
}

/// A relay frame from what the socket gave; `None` for frames a client ignores (pings).
fn interpret(
    next: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
) -> Option<Received> {
    Some(match next {
        None => Err(ClientError::Closed {
            code: None,
            reason: "stream ended".into(),
        }),
        Some(Err(e)) => Err(ClientError::Closed {
            code: None,
            reason: e.to_string(),
        }),
        Some(Ok(Message::Text(text))) => {
            protocol::decode_relay(&text).map_err(|e| ClientError::Protocol(e.to_string()))
        }
        Some(Ok(Message::Close(frame))) => Err(ClientError::Closed {
            code: frame.as_ref().map(|f| u16::from(f.code)),
            reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
        }),
        Some(Ok(_)) => return None,
    })
}

/// What a write's outcome means to the caller. A write the relay's close came before is not
/// an error here: the reader already holds the close, and [`Wire::recv`] reports it, with its
/// code, after every frame the relay sent before it (which an error now would hide).
fn written(result: Result<(), WsError>) -> Result<(), ClientError> {
    match result {
        Ok(())
        | Err(
            WsError::ConnectionClosed
            | WsError::AlreadyClosed
            | WsError::Protocol(ProtocolError::SendAfterClosing),
        ) => Ok(()),
        Err(e) => Err(ClientError::Closed {
            code: None,
            reason: e.to_string(),
        }),
    }
}

/// Sends `texts` with one flush.
async fn send_texts(sink: &Sender, texts: Vec<String>) -> Result<(), ClientError> {
    let mut sink = sink.lock().await;
    for text in texts {
        written(sink.feed(Message::Text(Utf8Bytes::from(text))).await)?;
    }
    written(sink.flush().await)
}

/// The connection's reader: queues every frame for [`Wire::recv`], keeps the outbox in step
/// with `stored` and `retry`, and resends the outbox when a `retry` makes it due. Ends with
/// the connection.
async fn read_and_resend(
    mut stream: SplitStream<Socket>,
    sink: Sender,
    outbox: Outbox,
    frames: mpsc::UnboundedSender<Received>,
) {
    loop {
        tokio::select! {
            next = stream.next() => {
                let Some(frame) = interpret(next) else { continue };
                let ended = matches!(frame, Err(ClientError::Closed { .. }));
                if let Ok(frame) = &frame {
                    outbox.observe(frame);
                }
                if frames.send(frame).is_err() || ended {
                    return;
                }
            }
            () = super::until(outbox.due()) => {
                // A failed write shows as the end of the stream, read above.
                let _ = send_texts(&sink, outbox.take_all()).await;
            }
        }
    }
}

impl Wire {
    /// Connects to `url` (`ws://host:port/v1/visitor`), adding `headers` to the upgrade
    /// request (tests use this to prove the relay ignores them).
    pub async fn connect(url: &str, headers: &[(&str, &str)]) -> Result<Self, ClientError> {
        Self::connect_trusting(url, headers, &TlsTrust::default()).await
    }

    /// As [`Wire::connect`]; a `wss://` relay's certificate must chain to `trust`.
    pub async fn connect_trusting(
        url: &str,
        headers: &[(&str, &str)],
        trust: &TlsTrust,
    ) -> Result<Self, ClientError> {
        Self::connect_with_outbox(url, headers, trust, Outbox::default()).await
    }

    /// As [`Wire::connect_trusting`], resending from `outbox` (a visitor's resume carries
    /// its unconfirmed frames over to the new connection).
    pub async fn connect_with_outbox(
        url: &str,
        headers: &[(&str, &str)],
        trust: &TlsTrust,
        outbox: Outbox,
    ) -> Result<Self, ClientError> {
        let mut request = url
            .into_client_request()
            .map_err(|e| ClientError::Connect(e.to_string()))?;
        for (name, value) in headers {
            let value =
                HeaderValue::from_str(value).map_err(|e| ClientError::Connect(e.to_string()))?;
            let name: tokio_tungstenite::tungstenite::http::HeaderName = name
                .parse()
                .map_err(|_| ClientError::Connect(format!("bad header {name}")))?;
            request.headers_mut().insert(name, value);
        }
        let config = WebSocketConfig::default()
            .read_buffer_size(8192)
            // Frames fed before a flush leave in one write ([`Wire::send_all`]).
            .write_buffer_size(16 * 1024);
        let connector = if url.starts_with("wss://") {
            Some(trust.connector()?)
        } else {
            None
        };
        let (ws, _) = tokio_tungstenite::connect_async_tls_with_config(
            request,
            Some(config),
            true,
            connector,
        )
        .await
        .map_err(|e| ClientError::Connect(e.to_string()))?;
        #[cfg(feature = "test-cut")]
        let tcp = tcp_handle(ws.get_ref());
        let (sink, stream) = ws.split();
        let sink = Arc::new(Mutex::new(sink));
        let (queue, frames) = mpsc::unbounded_channel();
        let reader = tokio::spawn(read_and_resend(stream, sink.clone(), outbox.clone(), queue));
        Ok(Self {
            sink,
            frames,
            outbox,
            reader,
            #[cfg(feature = "test-cut")]
            tcp,
            timeout: Duration::from_secs(10),
            lookahead: None,
        })
    }

    /// The frames sent on this connection that the relay has not confirmed.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Sends `msg` frame `seq` of `stream`, kept in the outbox until the relay confirms it.
    pub async fn send_kept<T: serde::Serialize>(
        &mut self,
        stream: Stream,
        seq: u64,
        frame: T,
    ) -> Result<(), ClientError> {
        let text = protocol::encode_frame(frame);
        self.outbox.keep(stream, seq, text.clone());
        self.send_raw(text).await
    }

    /// Sends every frame the relay has not confirmed, now, each conversation in order.
    pub async fn resend_kept(&mut self) -> Result<(), ClientError> {
        send_texts(&self.sink, self.outbox.take_all()).await
    }

    /// How long a receive waits before it fails with a timeout.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Sends a frame with its version.
    pub async fn send<T: serde::Serialize>(&mut self, frame: T) -> Result<(), ClientError> {
        self.send_raw(protocol::encode_frame(frame)).await
    }

    /// Sends several frames with one flush (one write for all of them).
    pub async fn send_all<T: serde::Serialize>(
        &mut self,
        frames: impl IntoIterator<Item = T>,
    ) -> Result<(), ClientError> {
        let texts = frames.into_iter().map(protocol::encode_frame).collect();
        send_texts(&self.sink, texts).await
    }

    /// Sends text as it is (tests send malformed frames this way).
    pub async fn send_raw(&mut self, text: String) -> Result<(), ClientError> {
        self.send_message(Message::Text(Utf8Bytes::from(text)))
            .await
    }

    /// Sends any WebSocket message (tests send binary or oversized ones).
    pub async fn send_message(&mut self, message: Message) -> Result<(), ClientError> {
        written(self.sink.lock().await.send(message).await)
    }

    /// The next relay frame; a close becomes `ClientError::Closed` with its code.
    /// Cancel-safe: dropping it loses nothing.
    pub async fn recv(&mut self) -> Result<RelayFrame, ClientError> {
        if let Some(frame) = self.lookahead.take() {
            return frame;
        }
        match tokio::time::timeout(self.timeout, self.frames.recv()).await {
            Err(_) => Err(ClientError::Timeout),
            Ok(Some(frame)) => frame,
            Ok(None) => Err(ClientError::Closed {
                code: None,
                reason: "stream ended".into(),
            }),
        }
    }

    /// Whether a frame can be read at once, without waiting on the network (it is kept for
    /// the next [`Wire::recv`]). Lets a reader acknowledge once after a burst of frames.
    pub fn has_ready(&mut self) -> bool {
        if self.lookahead.is_none() {
            self.lookahead = self.frames.try_recv().ok();
        }
        self.lookahead.is_some()
    }

    /// Drops the connection as a failing network would: the TCP socket is shut without a
    /// WebSocket close (tests of what a lost connection does; built only with the `test-cut`
    /// feature, which only the tests turn on).
    #[cfg(feature = "test-cut")]
    pub async fn cut(&mut self) {
        self.reader.abort();
        if let Some(tcp) = &self.tcp {
            let _ = tcp.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Closes the connection politely, with 1000 (normal closure): for a coordinator, a
    /// sign-out, so the relay requeues their visitors at once instead of holding them (§9.6).
    pub async fn close(self) {
        let goodbye = tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Normal,
            reason: "".into(),
        };
        let _ = self
            .sink
            .lock()
            .await
            .send(Message::Close(Some(goodbye)))
            .await;
    }
}
