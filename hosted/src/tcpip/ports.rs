//! The guest → host port map of the hosted `tcpip` (`--tcp-port GUEST=HOST`).
use std::sync::OnceLock;

/// Pairs `(guest, host)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortMap(pub Vec<(u16, u16)>);

static MAP: OnceLock<PortMap> = OnceLock::new();

impl PortMap {
    /// Adds one `GUEST=HOST` mapping (ports 1..=65535, each guest port once).
    pub fn add(&mut self, text: &str) -> Result<(), String> {
        let bad = || format!("--tcp-port {text}: expected GUEST=HOST, two ports 1-65535");
        let (guest, host) = text.split_once('=').ok_or_else(bad)?;
        let port = |s: &str| s.trim().parse::<u16>().ok().filter(|&p| p != 0);
        let (guest, host) = (port(guest).ok_or_else(bad)?, port(host).ok_or_else(bad)?);
        if self.0.iter().any(|&(g, _)| g == guest) {
            return Err(format!("--tcp-port: guest port {guest} mapped twice"));
        }
        self.0.push((guest, host));
        Ok(())
    }

    fn host(&self, guest: u16) -> u16 {
        self.0.iter().find(|&&(g, _)| g == guest).map_or(guest, |&(_, h)| h)
    }

    fn guest(&self, host: u16) -> u16 {
        self.0.iter().find(|&&(_, h)| h == host).map_or(host, |&(g, _)| g)
    }
}

/// Sets the map (once, before the boot tasks start).
pub fn set_port_map(map: PortMap) {
    let _ = MAP.set(map);
}

/// The host port a listen on guest port `guest` binds (0 stays 0: any).
pub fn host_port(guest: u16) -> u16 {
    MAP.get().map_or(guest, |m| m.host(guest))
}

/// The guest port a local host port is reported as.
pub fn guest_port(host: u16) -> u16 {
    MAP.get().map_or(host, |m| m.guest(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_maps_both_ways() {
        let mut map = PortMap::default();
        map.add("80=8080").unwrap();
        map.add("443 = 8443").unwrap();
        assert_eq!((map.host(80), map.host(443), map.host(22)), (8080, 8443, 22));
        assert_eq!((map.guest(8080), map.guest(9)), (80, 9));
        for bad in ["80", "80=", "0=1", "80=70000", "x=1", "80=8081"] {
            assert!(map.add(bad).is_err(), "{bad}");
        }
    }
}
