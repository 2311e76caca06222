// Fuzzes the control socket's wire format (lib/control/wire): the input is one packet that
// arrives on a SOCK_SEQPACKET socket, as from a local user's carekeep (to carekeepd) or from
// carekeepd (to carekeep). control::receive reads it; a message it accepts is then read the
// way each side reads one: carekeepd turns a request into the command it runs
// (control::needs, control::invocation_for), the user's side turns a refusal into an Error
// (control::error_from_json).
#include <sys/socket.h>

#include <string>
#include <vector>

#include "control/policy.hpp"
#include "control/session.hpp"
#include "control/wire.hpp"
#include "fuzz_input.hpp"

using namespace carekeep;
using namespace carekeep::control;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto pair = socket_pair().value();
  auto& [sender, receiver] = pair;
  if (size > 0) {
    // Larger than the socket buffer: refused before it reaches receive (EMSGSIZE).
    if (::send(sender.get(), data, size, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) return 0;
  } else {
    // An empty packet reads as the peer closing; keep the pair usable for the next input.
    if (::send(sender.get(), "", 0, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) return 0;
  }
  bool would_block = false;
  auto message = receive(receiver.get(), &would_block);
  FUZZ_CHECK(!would_block);
  if (!message) {
    FUZZ_CHECK(message.error().kind == ErrorKind::InvalidArgument);
    return 0;
  }
  if (!*message) return 0;
  const Json& body = (**message).body;
  FUZZ_CHECK(body.is_object());

  // The user's side: a reply that is not ok becomes an Error.
  Error error = error_from_json(body);
  FUZZ_CHECK(!error.message.empty());

  // The user's side (session.cpp run(), broker.cpp) and carekeepd's (daemon/control_server.cpp
  // on_request) read the other fields with the typed readers.
  (void)text_field(body, "op");
  (void)int_field(body, "status", 3);
  (void)bool_field(body, "ok", false);

  // carekeepd's side: the command a request asks for and how it would be run.
  std::vector<std::string> argv;
  if (auto a = body.find("argv"); a != body.end() && a->is_array()) {
    for (const auto& arg : *a) argv.push_back(arg.is_string() ? arg.get<std::string>() : std::string());
  }
  (void)needs(argv);
  Peer peer{1234, 1001, 1001, {1001}, "alice"};
  auto invocation = invocation_for(body, "/usr/bin/carekeep", "/etc/carekeep/carekeep.toml", peer, Role::Inspector);
  if (invocation) {
    // The daemon's configuration always comes first; the request cannot name another.
    FUZZ_CHECK(invocation->argv.size() >= 4);
    FUZZ_CHECK(invocation->argv[1] == "--config" && invocation->argv[2] == "/etc/carekeep/carekeep.toml");
  }
  return 0;
}
