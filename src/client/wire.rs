//! A WebSocket connection to a relay, speaking JSON frames.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::ClientError;
use crate::protocol::{self, RelayFrame};

pub struct Wire {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    timeout: Duration,
}

impl Wire {
    /// Connects to `url` (`ws://host:port/v1/visitor`), adding `headers` to the upgrade
    /// request (tests use this to prove the relay ignores them).
    pub async fn connect(url: &str, headers: &[(&str, &str)]) -> Result<Self, ClientError> {
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
            .write_buffer_size(0);
        let (ws, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true)
            .await
            .map_err(|e| ClientError::Connect(e.to_string()))?;
        Ok(Self {
            ws,
            timeout: Duration::from_secs(10),
        })
    }

    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    pub async fn send<T: serde::Serialize>(&mut self, frame: T) -> Result<(), ClientError> {
        self.send_raw(protocol::encode_frame(frame)).await
    }

    pub async fn send_raw(&mut self, text: String) -> Result<(), ClientError> {
        self.ws
            .send(Message::Text(Utf8Bytes::from(text)))
            .await
            .map_err(|e| ClientError::Closed {
                code: None,
                reason: e.to_string(),
            })
    }

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
    pub async fn recv(&mut self) -> Result<RelayFrame, ClientError> {
        loop {
            let next = tokio::time::timeout(self.timeout, self.ws.next())
                .await
                .map_err(|_| ClientError::Timeout)?;
            match next {
                None => {
                    return Err(ClientError::Closed {
                        code: None,
                        reason: "stream ended".into(),
                    });
                }
                Some(Err(e)) => {
                    return Err(ClientError::Closed {
                        code: None,
                        reason: e.to_string(),
                    });
                }
                Some(Ok(Message::Text(text))) => {
                    return protocol::decode_relay(&text)
                        .map_err(|e| ClientError::Protocol(e.to_string()));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(ClientError::Closed {
                        code: frame.as_ref().map(|f| u16::from(f.code)),
                        reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                    });
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
