//! The desk's HTTP side on `127.0.0.1`: the page, its script and style (embedded, see
//! [`super::assets`]; the two sent compressed when the browser accepts it), and the one WebSocket that carries the JSON API. Every request passes
//! the [`Guard`] first, and every response, a refusal included, carries the strict CSP,
//! `Cache-Control: no-store`, `Referrer-Policy: no-referrer` and friends.
//!
//! It must never listen on anything but loopback, serve anything from another origin, or
//! hand the page anything but the embedded files and the API.

use std::sync::Arc;

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};

use super::api::MAX_MESSAGE_BYTES;
use super::assets;
use super::guard::Guard;
use super::session::Page;
use crate::precompressed::serve;

/// The CSP of every response: the desk's own script and style, its own WebSocket, nothing
/// inline, nothing from elsewhere, never framed.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

#[derive(Clone)]
struct Desk {
    guard: Arc<Guard>,
    pages: mpsc::UnboundedSender<Page>,
}

/// The desk's routes, guarded.
pub fn router(guard: Arc<Guard>, pages: mpsc::UnboundedSender<Page>) -> Router {
    let desk = Desk { guard, pages };
    Router::new()
        .route("/launch", get(launch))
        .route("/", get(|| async { html(assets::PAGE) }))
        .route(
            "/desk.js",
            get(|h: HeaderMap| async move { serve(&assets::SCRIPT_ASSET, &h) }),
        )
        .route(
            "/desk.css",
            get(|h: HeaderMap| async move { serve(&assets::STYLE_ASSET, &h) }),
        )
        .route("/ws", get(socket))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(middleware::from_fn_with_state(desk.clone(), protect))
        .layer(middleware::from_fn(headers))
        .with_state(desk)
}

fn html(body: &'static [u8]) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// The guard: the exact Host, our cookie (except at the launch), our Origin where needed.
async fn protect(State(desk): State<Desk>, request: Request, next: Next) -> Response {
    let launching = request.uri().path() == "/launch";
    match desk
        .guard
        .check(request.method(), request.headers(), launching)
    {
        Ok(()) => next.run(request).await,
        Err(_) => (StatusCode::FORBIDDEN, "refused").into_response(),
    }
}

/// The headers every response carries.
async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    for (name, value) in [
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()",
        ),
    ] {
        h.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

/// The launch: the token for the cookie, once, and the page itself (a redirect would lose
/// the `SameSite=Strict` cookie when the browser was opened from elsewhere).
async fn launch(State(desk): State<Desk>, RawQuery(query): RawQuery) -> Response {
    let token = query
        .as_deref()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("token=")))
        .unwrap_or_default();
    match desk.guard.exchange(token) {
        Ok(cookie) => {
            let mut response = html(assets::PAGE);
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(_) => (StatusCode::FORBIDDEN, "refused").into_response(),
    }
}

async fn socket(State(desk): State<Desk>, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |ws| bridge(ws, desk.pages))
}

/// Carries text both ways between the socket and the desk's loop until either side ends.
async fn bridge(ws: WebSocket, pages: mpsc::UnboundedSender<Page>) {
    let (to_loop, incoming) = mpsc::unbounded_channel();
    let (outgoing, mut from_loop) = mpsc::unbounded_channel();
    // Dropped when this task ends: the loop knows the socket carried its last words.
    let (_ending, gone) = oneshot::channel::<()>();
    if pages
        .send(Page {
            outgoing,
            incoming,
            gone,
        })
        .is_err()
    {
        return;
    }
    let (mut sink, mut stream) = ws.split();
    loop {
        tokio::select! {
            text = from_loop.recv() => match text {
                Some(text) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                // The loop let this page go (another connected, or the shift ended).
                None => {
                    let _ = sink.send(Message::Close(None)).await;
                    return;
                }
            },
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    if to_loop.send(text.to_string()).is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                _ => return,
            },
        }
    }
}
