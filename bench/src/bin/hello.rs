//! `lianjian-hello <port>`: the benchmark's ceiling. One bare poem handler on `127.0.0.1:<port>`,
//! with no middleware and no logging, on a multi-thread runtime like the server's: what poem and
//! the load generator cost on this machine, measured in the same run as the service so that every
//! ratio is against the same machine at the same moment.

use poem::{get, handler, listener::TcpListener, Route, Server};

#[handler]
fn hello() -> &'static str {
    "hello"
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::args().nth(1).ok_or("usage: lianjian-hello <port>")?.parse()?;
    let app = Route::new().at("/", get(hello));
    Server::new(TcpListener::bind(format!("127.0.0.1:{port}"))).run(app).await?;
    Ok(())
}
