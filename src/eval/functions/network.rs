//! Network functions: `cidrhost`, `cidrnetmask`, `cidrsubnet` and
//! `cidrsubnets`, for IPv4 and IPv6. Addresses are held as `u128` with the
//! width of their family, so both families share one arithmetic.

use super::Error;
use super::args::Args;
use crate::value::Value;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A network prefix: its first address and its length in bits.
#[derive(Clone, Copy)]
struct Prefix {
    addr: u128,
    len: u32,
    /// 32 for IPv4, 128 for IPv6.
    bits: u32,
}

impl Prefix {
    fn parse(text: &str) -> Result<Prefix, String> {
        let invalid = || format!("invalid CIDR address: {text}");
        let (ip, len) = text.split_once('/').ok_or_else(invalid)?;
        let (addr, bits) = match ip.parse::<IpAddr>().map_err(|_| invalid())? {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
            IpAddr::V6(v6) => (u128::from(v6), 128),
        };
        let len = len
            .parse::<u32>()
            .ok()
            .filter(|&l| l <= bits)
            .ok_or_else(invalid)?;
        Ok(Prefix {
            addr: addr & mask(len, bits),
            len,
            bits,
        })
    }

    fn last(self) -> u128 {
        self.addr | host_mask(self.len, self.bits)
    }

    fn ip(self, addr: u128) -> String {
        if self.bits == 32 {
            Ipv4Addr::from(u32::try_from(addr).unwrap_or(u32::MAX)).to_string()
        } else {
            Ipv6Addr::from(addr).to_string()
        }
    }

    fn family(self) -> &'static str {
        if self.bits == 32 { "IPv4" } else { "IPv6" }
    }
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.ip(self.addr), self.len)
    }
}

/// The bits below a prefix of `len` in an address of `bits`.
fn host_mask(len: u32, bits: u32) -> u128 {
    let host = bits.saturating_sub(len);
    if host >= 128 {
        u128::MAX
    } else {
        (1u128 << host) - 1
    }
}

/// The bits of a prefix of `len` in an address of `bits`.
fn mask(len: u32, bits: u32) -> u128 {
    host_mask(0, bits) & !host_mask(len, bits)
}

fn prefix_arg(args: &Args, i: usize) -> Result<Prefix, Error> {
    Prefix::parse(&args.string(i)?).map_err(|e| Error::arg(i, e))
}

/// `cidrhost(prefix, hostnum)`: the address of host `hostnum` in the
/// network; a negative number counts back from the last address.
pub fn cidrhost(args: Args) -> Result<Value, Error> {
    let prefix = prefix_arg(&args, 0)?;
    let hostnum = args.int(1)?;
    let max = host_mask(prefix.len, prefix.bits);
    let offset = match u128::try_from(hostnum) {
        Ok(n) => Some(n).filter(|&n| n <= max),
        Err(_) => max.checked_sub(u128::from(hostnum.unsigned_abs()) - 1),
    };
    let offset = offset.ok_or_else(|| {
        Error::arg(
            1,
            format!(
                "prefix of {} does not accommodate a host numbered {hostnum}",
                prefix.len
            ),
        )
    })?;
    Ok(Value::String(prefix.ip(prefix.addr | offset)))
}

/// `cidrnetmask(prefix)`: the IPv4 netmask in dotted form.
pub fn cidrnetmask(args: Args) -> Result<Value, Error> {
    let text = args.string(0)?;
    let prefix = Prefix::parse(&text).map_err(|e| Error::arg(0, e))?;
    if prefix.bits != 32 {
        return Err(Error::arg(
            0,
            format!("IPv6 addresses cannot have a netmask: {text}"),
        ));
    }
    Ok(Value::String(prefix.ip(mask(prefix.len, 32))))
}

/// `cidrsubnet(prefix, newbits, netnum)`: subnet `netnum` of the network
/// extended by `newbits` bits.
pub fn cidrsubnet(args: Args) -> Result<Value, Error> {
    let prefix = prefix_arg(&args, 0)?;
    let (newbits, netnum) = (args.int(1)?, args.int(2)?);
    let newbits = u32::try_from(newbits).map_err(|_| Error::arg(1, "must not be negative"))?;
    if newbits > 32 {
        return Err(Error::arg(1, "may not extend prefix by more than 32 bits"));
    }
    let len = prefix.len + newbits;
    if len > prefix.bits {
        let message = format!(
            "insufficient address space to extend prefix of {} by {newbits}",
            prefix.len
        );
        return Err(Error::arg(1, message));
    }
    let netnum = u128::try_from(netnum)
        .ok()
        .filter(|&n| n <= host_mask(prefix.bits - newbits, prefix.bits))
        .ok_or_else(|| {
            Error::arg(
                2,
                format!(
                    "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
                ),
            )
        })?;
    let addr = prefix.addr | netnum.checked_shl(prefix.bits - len).unwrap_or(0);
    Ok(Value::String(
        Prefix {
            addr,
            len,
            bits: prefix.bits,
        }
        .to_string(),
    ))
}

/// `cidrsubnets(prefix, newbits...)`: consecutive subnets, one per
/// `newbits`, each aligned to its own size, as Terraform allocates them.
pub fn cidrsubnets(args: Args) -> Result<Value, Error> {
    let base = prefix_arg(&args, 0)?;
    let mut lengths = Vec::with_capacity(args.len().saturating_sub(1));
    for i in 1..args.len() {
        let newbits = args.int(i)?;
        if newbits < 1 {
            return Err(Error::arg(i, "must extend prefix by at least one bit"));
        }
        if newbits > 32 {
            return Err(Error::arg(i, "may not extend prefix by more than 32 bits"));
        }
        let len = u32::try_from(newbits)
            .ok()
            .and_then(|n| n.checked_add(base.len))
            .filter(|&len| len <= base.bits)
            .ok_or_else(|| {
                let message = format!(
                    "would extend prefix to {} bits, which is too long for an {} address",
                    i64::from(base.len).saturating_add(newbits),
                    base.family()
                );
                Error::arg(i, message)
            })?;
        lengths.push((i, len));
    }
    // Each subnet starts at the first address after the previous one that
    // is aligned to its own size; Terraform's walk from the last address of
    // the previous subnet comes to the same place.
    let mut cursor = Some(base.addr);
    let mut previous: Option<Prefix> = None;
    let mut out = Vec::with_capacity(lengths.len());
    for (i, len) in lengths {
        let size = host_mask(len, base.bits);
        let start = cursor.and_then(|c| c.checked_add(size)).map(|c| c & !size);
        let Some(start) = start.filter(|&s| s | size <= base.last()) else {
            let after = previous.unwrap_or(base);
            let message = format!(
                "not enough remaining address space for a subnet with a prefix of {len} bits after {after}"
            );
            return Err(Error::arg(i, message));
        };
        let subnet = Prefix {
            addr: start,
            len,
            bits: base.bits,
        };
        out.push(Value::String(subnet.to_string()));
        cursor = (start | size).checked_add(1);
        previous = Some(subnet);
    }
    Ok(Value::List(out))
}

#[cfg(test)]
mod tests {
    use super::super::tests::ctx;
    use super::super::{Error, call};
    use crate::value::Value;

    fn run(name: &str, prefix: &str, nums: &[i64]) -> Result<Value, Error> {
        let mut args = vec![Value::string(prefix)];
        args.extend(nums.iter().map(|&n| Value::int(n)));
        call(name, args, &ctx()).expect("exists")
    }

    fn ok(name: &str, prefix: &str, nums: &[i64]) -> String {
        match run(name, prefix, nums) {
            Ok(Value::String(s)) => s,
            other => panic!("{name}({prefix}): {other:?}"),
        }
    }

    #[test]
    fn cidrhost_follows_terraform_examples() {
        assert_eq!(ok("cidrhost", "10.12.112.0/20", &[16]), "10.12.112.16");
        assert_eq!(ok("cidrhost", "10.12.112.0/20", &[268]), "10.12.113.12");
        assert_eq!(
            ok("cidrhost", "fd00:fd12:3456:7890:00a2::/72", &[34]),
            "fd00:fd12:3456:7890::22"
        );
        assert_eq!(ok("cidrhost", "10.0.0.0/24", &[-1]), "10.0.0.255");
        assert_eq!(ok("cidrhost", "10.0.0.5/24", &[1]), "10.0.0.1");
        let err = run("cidrhost", "10.0.0.0/24", &[256]).unwrap_err();
        assert_eq!(
            err.message,
            "prefix of 24 does not accommodate a host numbered 256"
        );
        assert!(run("cidrhost", "10.0.0.0/24", &[-257]).is_err());
        assert!(run("cidrhost", "10.0.0.0/24", &[i64::MIN]).is_err());
        assert!(
            run("cidrhost", "10.0.0.0", &[1])
                .unwrap_err()
                .message
                .starts_with("invalid CIDR address")
        );
        assert!(run("cidrhost", "10.0.0.0/33", &[1]).is_err());
    }

    #[test]
    fn cidrnetmask_is_ipv4_only() {
        assert_eq!(ok("cidrnetmask", "172.16.0.0/12", &[]), "255.240.0.0");
        assert_eq!(ok("cidrnetmask", "10.0.0.0/0", &[]), "0.0.0.0");
        assert_eq!(ok("cidrnetmask", "10.0.0.0/32", &[]), "255.255.255.255");
        assert!(run("cidrnetmask", "fd00::/64", &[]).is_err());
    }

    #[test]
    fn cidrsubnet_follows_terraform_examples() {
        assert_eq!(ok("cidrsubnet", "172.16.0.0/12", &[4, 2]), "172.18.0.0/16");
        assert_eq!(ok("cidrsubnet", "10.1.2.0/24", &[4, 15]), "10.1.2.240/28");
        assert_eq!(
            ok("cidrsubnet", "fd00:fd12:3456:7890::/56", &[16, 162]),
            "fd00:fd12:3456:7800:a200::/72"
        );
        assert_eq!(ok("cidrsubnet", "10.0.0.0/8", &[0, 0]), "10.0.0.0/8");
        let err = run("cidrsubnet", "10.0.0.0/30", &[4, 0]).unwrap_err();
        assert_eq!(
            err.message,
            "insufficient address space to extend prefix of 30 by 4"
        );
        let err = run("cidrsubnet", "10.0.0.0/24", &[2, 4]).unwrap_err();
        assert_eq!(
            err.message,
            "prefix extension of 2 does not accommodate a subnet numbered 4"
        );
        assert!(run("cidrsubnet", "fd00::/8", &[33, 0]).is_err());
        assert!(run("cidrsubnet", "10.0.0.0/8", &[-1, 0]).is_err());
    }

    #[test]
    fn cidrsubnets_allocates_consecutively() {
        let list = |items: &[&str]| Value::List(items.iter().map(|&s| Value::from(s)).collect());
        assert_eq!(
            run("cidrsubnets", "10.1.0.0/16", &[4, 4, 8, 4]),
            Ok(list(&[
                "10.1.0.0/20",
                "10.1.16.0/20",
                "10.1.32.0/24",
                "10.1.48.0/20"
            ]))
        );
        assert_eq!(
            run("cidrsubnets", "fd00:fd12:3456:7890::/56", &[16, 16, 16, 32]),
            Ok(list(&[
                "fd00:fd12:3456:7800::/72",
                "fd00:fd12:3456:7800:100::/72",
                "fd00:fd12:3456:7800:200::/72",
                "fd00:fd12:3456:7800:300::/88",
            ]))
        );
        assert_eq!(run("cidrsubnets", "10.0.0.0/8", &[]), Ok(list(&[])));
        assert!(
            run("cidrsubnets", "10.0.0.0/30", &[1, 1, 1])
                .unwrap_err()
                .message
                .starts_with("not enough remaining")
        );
        assert!(run("cidrsubnets", "10.0.0.0/30", &[3]).is_err());
        assert!(run("cidrsubnets", "10.0.0.0/30", &[0]).is_err());
        assert_eq!(
            run("cidrsubnets", "0.0.0.0/0", &[1, 1]),
            Ok(list(&["0.0.0.0/1", "128.0.0.0/1"]))
        );
    }
}
