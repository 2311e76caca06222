// base/cidr: IP networks ("192.168.1.0/24", "fd00::/8", "127.0.0.1") and addresses, as the
// web console's allow list ([web] allow) states them. Pure values; no threads, never blocks.
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what a dual-stack socket reports) are matched
// as the IPv4 address they carry.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace carekeep {

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // v4: the first 4
  static std::optional<IpAddress> parse(std::string_view text);
  std::string to_string() const;
  bool loopback() const;
  IpAddress unmapped() const;  // ::ffff:a.b.c.d as a.b.c.d; itself otherwise
};

struct Cidr {
  IpAddress network;  // host bits cleared
  int prefix = 0;     // 0..32 (v4) or 0..128 (v6)
  // "a.b.c.d/n", "v6/n", or an address alone (a /32 or /128). nullopt for anything else,
  // including host bits set beyond the prefix ("192.168.1.5/24" is refused: it is ambiguous).
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(const IpAddress& address) const;
  std::string to_string() const;
};

// The networks of this box's own interfaces (getifaddrs, up ones) and loopback: the console's
// default allow list. Blocks briefly on the kernel.
std::vector<Cidr> local_networks();

}  // namespace carekeep
