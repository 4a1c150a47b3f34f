//! A tipster over HTTP: fetch a proof-of-work seed, submit a sealed tip under a receipt's
//! lookup id, read replies, send follow-ups. Plain HTTP/1.1 through hyper.

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes as BodyBytes;
use hyper_util::rt::TokioIo;

use super::ClientError;
use crate::crypto::proof_of_work;
use crate::protocol::TipId;
use crate::protocol::b64::{Bytes, Fixed};
use crate::protocol::http::{
    PowSeed, ReceiptQuery, ReceiptReplies, TIP_POW_CONTEXT, TipAccepted, TipSubmission,
};

/// One HTTP request to `addr` (`127.0.0.1:8080`); returns status and body.
pub async fn request(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<String>,
    headers: &[(&str, &str)],
) -> Result<(u16, String), ClientError> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| ClientError::Connect(e.to_string()))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| ClientError::Connect(e.to_string()))?;
    tokio::spawn(connection);
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr)
        .header("content-type", "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder
        .body(Full::new(BodyBytes::from(body.unwrap_or_default())))
        .map_err(|e| ClientError::Connect(e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| ClientError::Connect(e.to_string()))?;
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| ClientError::Connect(e.to_string()))?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

fn ok_json<T: for<'de> serde::Deserialize<'de>>(
    (status, body): (u16, String),
) -> Result<T, ClientError> {
    if status != 200 {
        return Err(ClientError::Http { status, body });
    }
    serde_json::from_str(&body).map_err(|e| ClientError::Protocol(e.to_string()))
}

/// A tipster talking to the relay's HTTP endpoints.
pub struct Tipster {
    /// The relay's `host:port`.
    pub addr: String,
    /// Extra request headers (tests use them to prove the relay ignores them).
    pub headers: Vec<(String, String)>,
}

impl Tipster {
    /// A tipster of the relay at `addr`.
    pub fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_owned(),
            headers: Vec::new(),
        }
    }

    /// Sends `headers` with every request, as a browser sends its user agent.
    pub fn with_headers(mut self, headers: &[(&str, &str)]) -> Self {
        self.headers = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        self
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<(u16, String), ClientError> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        request(&self.addr, method, path, body, &headers).await
    }

    async fn solved_seed(&self) -> Result<([u8; 16], u64), ClientError> {
        let seed: PowSeed = ok_json(self.call("GET", "/v1/pow", None).await?)?;
        if seed.difficulty > proof_of_work::MAX_DIFFICULTY {
            return Err(ClientError::Protocol(format!(
                "refusing a proof-of-work of {} bits",
                seed.difficulty
            )));
        }
        Ok((
            seed.seed.0,
            proof_of_work::solve(&seed.seed.0, TIP_POW_CONTEXT, seed.difficulty),
        ))
    }

    /// Solves a proof-of-work and files a sealed tip under `lookup_id`; returns its id.
    pub async fn submit(&self, lookup_id: [u8; 32], sealed: Vec<u8>) -> Result<TipId, ClientError> {
        self.post_sealed("/v1/tips", lookup_id, sealed)
            .await
            .and_then(|(s, b)| ok_json::<TipAccepted>((s, b)).map(|a| a.id))
    }

    /// Solves a proof-of-work and files a sealed follow-up under `lookup_id`.
    pub async fn follow_up(&self, lookup_id: [u8; 32], sealed: Vec<u8>) -> Result<(), ClientError> {
        let (status, body) = self
            .post_sealed("/v1/receipt/followup", lookup_id, sealed)
            .await?;
        if status != 200 {
            return Err(ClientError::Http { status, body });
        }
        Ok(())
    }

    async fn post_sealed(
        &self,
        path: &str,
        lookup_id: [u8; 32],
        sealed: Vec<u8>,
    ) -> Result<(u16, String), ClientError> {
        let (seed, nonce) = self.solved_seed().await?;
        let body = TipSubmission {
            v: 1,
            seed: Fixed(seed),
            nonce,
            lookup: Fixed(lookup_id),
            sealed: Bytes(sealed),
        };
        self.call(
            "POST",
            path,
            Some(serde_json::to_string(&body).unwrap_or_default()),
        )
        .await
    }

    /// The sealed replies filed under `lookup_id`.
    pub async fn replies(&self, lookup_id: [u8; 32]) -> Result<Vec<Vec<u8>>, ClientError> {
        let body = serde_json::to_string(&ReceiptQuery {
            v: 1,
            lookup: Fixed(lookup_id),
        })
        .unwrap_or_default();
        let replies: ReceiptReplies = ok_json(self.call("POST", "/v1/receipt", Some(body)).await?)?;
        Ok(replies.replies.into_iter().map(|b| b.0).collect())
    }
}
