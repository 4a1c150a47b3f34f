//! A WebSocket connection to a relay, speaking JSON frames.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use super::ClientError;
use crate::protocol::{self, RelayFrame};

/// One WebSocket to the relay, speaking JSON frames.
pub struct Wire {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    timeout: Duration,
    /// A frame already read by [`Wire::has_ready`], returned by the next [`Wire::recv`].
    lookahead: Option<Result<RelayFrame, ClientError>>,
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
) -> Option<Result<RelayFrame, ClientError>> {
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
        Ok(Self {
            ws,
            timeout: Duration::from_secs(10),
            lookahead: None,
        })
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
        let closed = |e: tokio_tungstenite::tungstenite::Error| ClientError::Closed {
            code: None,
            reason: e.to_string(),
        };
        for frame in frames {
            let text = Utf8Bytes::from(protocol::encode_frame(frame));
            self.ws.feed(Message::Text(text)).await.map_err(closed)?;
        }
        self.ws.flush().await.map_err(closed)
    }

    /// Sends text as it is (tests send malformed frames this way).
    pub async fn send_raw(&mut self, text: String) -> Result<(), ClientError> {
        self.ws
            .send(Message::Text(Utf8Bytes::from(text)))
            .await
            .map_err(|e| ClientError::Closed {
                code: None,
                reason: e.to_string(),
            })
    }

    /// Sends any WebSocket message (tests send binary or oversized ones).
    pub async fn send_message(&mut self, message: Message) -> Result<(), ClientError> {
        self.ws
            .send(message)
            .await
            .map_err(|e| ClientError::Closed {
                code: None,
                reason: e.to_string(),
            })
    }

    /// The next relay frame; a close becomes `ClientError::Closed` with its code.
    /// Cancel-safe: dropping it loses nothing.
    pub async fn recv(&mut self) -> Result<RelayFrame, ClientError> {
        if let Some(frame) = self.lookahead.take() {
            return frame;
        }
        loop {
            let next = tokio::time::timeout(self.timeout, self.ws.next())
                .await
                .map_err(|_| ClientError::Timeout)?;
            if let Some(frame) = interpret(next) {
                return frame;
            }
        }
    }

    /// Whether a frame can be read at once, without waiting on the network (it is kept for
    /// the next [`Wire::recv`]). Lets a reader acknowledge once after a burst of frames.
    pub fn has_ready(&mut self) -> bool {
        while self.lookahead.is_none() {
            match self.ws.next().now_or_never() {
                Some(next) => self.lookahead = interpret(next),
                None => return false,
            }
        }
        true
    }

    /// Drops the connection as a failing network would: the socket is shut without a
    /// WebSocket close (tests of what a lost connection does; nothing else calls it).
    pub async fn cut(&mut self) {
        use tokio::io::AsyncWriteExt;
        let _ = self.ws.get_mut().shutdown().await;
    }

    /// Closes the connection politely, with 1000 (normal closure): for a coordinator, a
    /// sign-out, so the relay requeues their visitors at once instead of holding them (§9.6).
    pub async fn close(mut self) {
        let goodbye = tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Normal,
            reason: "".into(),
        };
        let _ = self.ws.close(Some(goodbye)).await;
    }
}
