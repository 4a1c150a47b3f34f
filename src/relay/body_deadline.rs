//! The whole-body deadline of every HTTP request that carries a body
//! (`limits.body_timeout_s`): the body is read here, all of it within the deadline, before
//! any handler sees it. A request whose headers arrived in time but whose body comes a byte
//! at a time would otherwise hold its socket, its task and its buffer for ever (the body's
//! half of F-2, which the header read timeout closes for headers).
//!
//! Must never look at what a body says, nor log it; the handlers keep their own size limits.

use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use crate::protocol::VERSION;
use crate::protocol::http::ErrorBody;

/// Reads `request`'s body within `deadline`, at most `cap` bytes and one chunk more (a larger
/// body still reaches its handler larger than any limit, which refuses it in its own shape),
/// then hands the request on. Too slow: `408` and the connection is closed.
pub async fn read_within(deadline: Duration, cap: usize, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let read = async {
        let mut chunks = body.into_data_stream();
        let mut bytes = Vec::new();
        while let Some(chunk) = chunks.next().await {
            bytes.extend_from_slice(&chunk?);
            if bytes.len() > cap {
                break;
            }
        }
        Ok::<_, axum::Error>(bytes)
    };
    match tokio::time::timeout(deadline, read).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        // The client went away mid-body: nobody reads an answer.
        Ok(Err(_)) => StatusCode::BAD_REQUEST.into_response(),
        Err(_) => {
            let refusal = ErrorBody {
                v: VERSION,
                error: "request body too slow".into(),
            };
            let mut response = (StatusCode::REQUEST_TIMEOUT, axum::Json(refusal)).into_response();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}
