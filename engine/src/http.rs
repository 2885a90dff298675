//! The HTTP JSON API (docs/deploy.md, "API"): POST /events, PUT and GET /contacts/{id},
//! GET /healthz, GET /metrics. Every body is bounded; bad input is a 4xx with a JSON error.

use std::io::Read as _;
use std::sync::Arc;

use serde_json::{json, Map, Value as Json};
use tiny_http::{Header, Method, Request, Response};

use crate::input::{read_body, read_line, Input, Refused};
use crate::service::Shared;

/// The API, listening.
pub struct Listening {
    /// The address it listens on (the port chosen when port 0 was asked for).
    pub address: String,
    server: Arc<tiny_http::Server>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Listening {
    /// Stops taking requests and waits for those in progress.
    pub fn stop(self) {
        for _ in &self.workers {
            self.server.unblock();
        }
        for worker in self.workers {
            let _ = worker.join();
        }
    }
}

/// Listens on `address` with `workers` threads.
pub fn listen(address: &str, shared: &Arc<Shared>, workers: usize) -> Result<Listening, String> {
    let server = Arc::new(tiny_http::Server::http(address).map_err(|e| format!("cannot listen on {address}: {e}"))?);
    let shown = server.server_addr().to_ip().map_or_else(|| address.to_owned(), |a| a.to_string());
    let workers = (0..workers.max(1))
        .map(|_| {
            let server = Arc::clone(&server);
            let shared = Arc::clone(shared);
            std::thread::spawn(move || serve(&server, &shared))
        })
        .collect();
    Ok(Listening { address: shown, server, workers })
}

/// Serves requests until the server is unblocked.
pub fn serve(server: &tiny_http::Server, shared: &Arc<Shared>) {
    while let Ok(mut request) = server.recv() {
        let (status, body, kind) = match handle(&mut request, shared) {
            Ok((status, body)) => (status, body, "application/json"),
            Err(refused) => {
                if refused.status < 500 {
                    shared.metrics.rejected();
                }
                (refused.status, json!({ "error": refused.message }).to_string(), "application/json")
            }
        };
        let (status, body, kind) =
            if status == 0 { (200, body, "text/plain; version=0.0.4") } else { (status, body, kind) };
        respond(request, status, body, kind);
    }
}

/// Answers `request` with `body` of content type `kind`; a client gone before the answer is not
/// an error of the server's. The Temporal worker's `/healthz` and `/metrics` answer through it too.
pub fn respond(request: Request, status: u16, body: String, kind: &str) {
    let mut response = Response::from_string(body).with_status_code(status);
    if let Ok(header) = Header::from_bytes("Content-Type", kind) {
        response = response.with_header(header);
    }
    let _ = request.respond(response);
}

/// The status (0 for the Prometheus text) and body of one request.
fn handle(request: &mut Request, shared: &Arc<Shared>) -> Result<(u16, String), Refused> {
    let url = request.url().to_owned();
    let path = url.split('?').next().unwrap_or("");
    let method = request.method().clone();
    match (method, path) {
        (Method::Get, "/healthz") => {
            let now = shared.clock.now();
            Ok((
                200,
                json!({ "status": "ok", "now": journey_runtime::time::format_utc(now), "bundles": shared.bundles })
                    .to_string(),
            ))
        }
        (Method::Get, "/metrics") => {
            let gauges = shared.engine.lock().map_err(|_| Refused::new(500, "the engine stopped"))?.gauges();
            Ok((0, shared.metrics.render(&gauges)))
        }
        (Method::Post, "/events") => {
            let body = body(request, shared)?;
            let inputs = read_body(&body, &shared.bounds)?;
            ingest(shared, &inputs)
        }
        (method, contact) if contact.starts_with("/contacts/") => {
            let id = decode(contact.strip_prefix("/contacts/").unwrap_or(""))
                .ok_or_else(|| Refused::new(400, "the contact id in the path is not valid percent-encoded UTF-8"))?;
            if id.is_empty() || id.contains('/') {
                return Err(Refused::new(404, "no such route: the path is /contacts/{id}"));
            }
            match method {
                Method::Get => {
                    let engine = shared.engine.lock().map_err(|_| Refused::new(500, "the engine stopped"))?;
                    match engine.state(&id).map_err(|e| Refused::new(500, e))? {
                        Some(state) => Ok((200, state.to_string())),
                        None => Err(Refused::new(404, format!("no contact `{id}`"))),
                    }
                }
                Method::Put => {
                    let body = body(request, shared)?;
                    let map = match serde_json::from_str::<Json>(body.trim()) {
                        Ok(Json::Object(mut map)) => {
                            match map.get("contact") {
                                Some(Json::String(named)) if *named != id => {
                                    return Err(Refused::new(
                                        422,
                                        format!("the body names contact `{named}`, the path `{id}`"),
                                    ))
                                }
                                _ => {}
                            }
                            map.insert("contact".to_owned(), Json::String(id));
                            map
                        }
                        Ok(_) => return Err(Refused::new(400, "expected a JSON object")),
                        Err(e) => return Err(Refused::new(400, format!("not JSON: {e}"))),
                    };
                    let map = match read_line(&Json::Object(map).to_string(), &shared.bounds)? {
                        Input::Contact(map) => map,
                        Input::Event(_) => {
                            return Err(Refused::new(422, "a contact has no `event`: POST events to /events"))
                        }
                    };
                    ingest(shared, &[Input::Contact(map)])
                }
                _ => Err(Refused::new(405, "use GET or PUT on /contacts/{id}")),
            }
        }
        (_, "/events" | "/healthz" | "/metrics") => Err(Refused::new(405, "method not allowed on this path")),
        _ => Err(Refused::new(
            404,
            "no such route (POST /events, PUT or GET /contacts/{id}, GET /healthz, GET /metrics)",
        )),
    }
}

fn ingest(shared: &Arc<Shared>, inputs: &[Input]) -> Result<(u16, String), Refused> {
    let received = crate::clock::real_ms();
    let accepted = {
        let mut engine = shared.engine.lock().map_err(|_| Refused::new(500, "the engine stopped"))?;
        engine.ingest(inputs, shared.clock.now(), received)?
    };
    shared.wake.ring();
    let created = accepted.iter().any(|a| a.kind == "contact");
    let list: Vec<Json> = accepted
        .iter()
        .map(|a| {
            let mut map = Map::new();
            map.insert("contact".to_owned(), Json::String(a.contact.clone()));
            map.insert("kind".to_owned(), Json::String(a.kind.to_owned()));
            map.insert("at".to_owned(), Json::String(a.at.clone()));
            if a.late {
                map.insert("late".to_owned(), Json::Bool(true));
            }
            Json::Object(map)
        })
        .collect();
    Ok((if created { 201 } else { 202 }, json!({ "accepted": list }).to_string()))
}

/// The body as UTF-8, refused past the bound without reading it all.
fn body(request: &mut Request, shared: &Arc<Shared>) -> Result<String, Refused> {
    let max = shared.bounds.max_bytes;
    let mut bytes = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    request
        .as_reader()
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| Refused::new(400, format!("cannot read the body: {e}")))?;
    if bytes.len() > max {
        return Err(Refused::new(413, format!("the body is larger than the limit of {max} bytes")));
    }
    String::from_utf8(bytes).map_err(|_| Refused::new(400, "the body is not UTF-8"))
}

/// Percent-decoding of a path segment.
fn decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.bytes();
    while let Some(byte) = rest.next() {
        if byte == b'%' {
            let high = char::from(rest.next()?).to_digit(16)?;
            let low = char::from(rest.next()?).to_digit(16)?;
            bytes.push(u8::try_from(high * 16 + low).ok()?);
        } else {
            bytes.push(byte);
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_segments_are_percent_decoded_and_bad_escapes_refused() {
        assert_eq!(super::decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(super::decode("%C3%A9").as_deref(), Some("é"));
        assert_eq!(super::decode("%zz"), None);
        assert_eq!(super::decode("%4"), None);
        assert_eq!(super::decode("%ff"), None);
    }
}
