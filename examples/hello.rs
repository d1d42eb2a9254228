//! Hello world over REQ/REP on tcp: a server thread answers "world" to each
//! "hello". Run: `cargo run --example hello`.

use ferrozmq::{Context, Result, SocketType};

fn main() -> Result<()> {
    let ctx = Context::new();

    let rep = ctx.socket(SocketType::Rep)?;
    rep.bind("tcp://127.0.0.1:*")?;
    let endpoint = rep.last_endpoint()?;
    println!("server bound at {endpoint}");

    let server = std::thread::spawn(move || -> Result<()> {
        for _ in 0..3 {
            let request = rep.recv()?;
            println!("server got {:?}", String::from_utf8_lossy(&request[0]));
            rep.send("world")?;
        }
        Ok(())
    });

    let req = ctx.socket(SocketType::Req)?;
    req.connect(&endpoint)?;
    for i in 0..3 {
        req.send(format!("hello {i}"))?;
        let reply = req.recv()?;
        println!("client got {:?}", String::from_utf8_lossy(&reply[0]));
    }
    server.join().expect("server thread")?;
    Ok(())
}
