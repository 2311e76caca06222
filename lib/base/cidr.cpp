#include "base/cidr.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cstring>

namespace carekeep {

namespace {

int prefix_of(const sockaddr* mask) {
  int bits = 0;
  const std::uint8_t* p = nullptr;
  std::size_t n = 0;
  if (mask->sa_family == AF_INET) {
    p = reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<const sockaddr_in*>(mask)->sin_addr);
    n = 4;
  } else {
    p = reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr);
    n = 16;
  }
  for (std::size_t i = 0; i < n; ++i)
    for (int b = 7; b >= 0; --b) bits += (p[i] >> b) & 1;
  return bits;
}

std::optional<IpAddress> from_sockaddr(const sockaddr* sa) {
  IpAddress a;
  if (sa->sa_family == AF_INET) {
    std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, 4);
  } else if (sa->sa_family == AF_INET6) {
    a.v6 = true;
    std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, 16);
  } else {
    return std::nullopt;
  }
  return a;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  IpAddress a;
  if (s.find(':') != std::string::npos) {
    a.v6 = true;
    if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
  } else if (::inet_pton(AF_INET, s.c_str(), a.bytes.data()) != 1) {
    return std::nullopt;
  }
  return a;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

IpAddress IpAddress::unmapped() const {
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!v6 || std::memcmp(bytes.data(), kMapped, 12) != 0) return *this;
  IpAddress v4;
  std::memcpy(v4.bytes.data(), bytes.data() + 12, 4);
  return v4;
}

bool IpAddress::loopback() const {
  auto a = unmapped();
  if (!a.v6) return a.bytes[0] == 127;
  static constexpr std::array<std::uint8_t, 16> kOne = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return a.bytes == kOne;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  int max = address->v6 ? 128 : 32;
  int prefix = max;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    prefix = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      prefix = prefix * 10 + (c - '0');
    }
    if (prefix > max) return std::nullopt;
  }
  Cidr cidr{*address, prefix};
  // Host bits must be clear: "192.168.1.5/24" may mean the /24 or a typo for one host.
  for (int bit = prefix; bit < max; ++bit)
    if ((address->bytes[static_cast<std::size_t>(bit / 8)] >> (7 - bit % 8)) & 1) return std::nullopt;
  return cidr;
}

bool Cidr::contains(const IpAddress& raw) const {
  auto address = raw.unmapped();
  auto net = network.unmapped();
  int prefix_bits = prefix;
  if (network.v6 && !net.v6) prefix_bits -= 96;  // a ::ffff:a.b.c.d/n network
  if (address.v6 != net.v6 || prefix_bits < 0) return false;
  for (int bit = 0; bit < prefix_bits; ++bit) {
    auto i = static_cast<std::size_t>(bit / 8);
    int shift = 7 - bit % 8;
    if (((address.bytes[i] >> shift) & 1) != ((net.bytes[i] >> shift) & 1)) return false;
  }
  return true;
}

std::string Cidr::to_string() const { return network.to_string() + "/" + std::to_string(prefix); }

std::vector<Cidr> local_networks() {
  std::vector<Cidr> out{*Cidr::parse("127.0.0.0/8"), *Cidr::parse("::1/128")};
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (auto* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_netmask == nullptr || (i->ifa_flags & IFF_UP) == 0) continue;
    auto address = from_sockaddr(i->ifa_addr);
    if (!address) continue;
    int prefix = prefix_of(i->ifa_netmask);
    int max = address->v6 ? 128 : 32;
    for (int bit = prefix; bit < max; ++bit)
      address->bytes[static_cast<std::size_t>(bit / 8)] &= static_cast<std::uint8_t>(~(1u << (7 - bit % 8)));
    Cidr cidr{*address, prefix};
    bool seen = false;
    for (const auto& c : out) seen |= c.to_string() == cidr.to_string();
    if (!seen) out.push_back(cidr);
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace carekeep
