#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "control/wire.hpp"

using namespace carekeep;

TEST_CASE("a message crosses a socket pair with the descriptors attached", "[control]") {
  auto pair = control::socket_pair().value();
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  fs::UniqueFd read_end{pipe_fds[0]};
  fs::UniqueFd write_end{pipe_fds[1]};
  const int attached[] = {write_end.get()};
  REQUIRE(control::send(pair.first.get(), control::Json{{"op", "run"}, {"argv", {"status", "--json"}}}, attached));
  write_end.reset();  // only the received duplicate is left

  auto received = control::receive(pair.second.get());
  REQUIRE(received);
  REQUIRE(received->has_value());
  CHECK((*received)->body["op"] == "run");
  CHECK((*received)->body["argv"][1] == "--json");
  REQUIRE((*received)->fds.size() == 1);
  REQUIRE(::write((*received)->fds[0].get(), "hello", 5) == 5);
  (*received)->fds.clear();
  char buf[16] = {};
  CHECK(::read(read_end.get(), buf, sizeof buf) == 5);
  CHECK(std::string(buf) == "hello");
  CHECK(::read(read_end.get(), buf, sizeof buf) == 0);  // the duplicate was closed with the message
}

TEST_CASE("a closed peer reads as the end, a gone peer fails a send", "[control]") {
  auto pair = control::socket_pair().value();
  pair.first.reset();
  auto end = control::receive(pair.second.get());
  REQUIRE(end);
  CHECK_FALSE(end->has_value());
  auto sent = control::send(pair.second.get(), control::Json{{"op", "ping"}});
  REQUIRE_FALSE(sent);
  CHECK(sent.error().kind == ErrorKind::Unavailable);
}

TEST_CASE("a packet that is not one JSON object is refused", "[control]") {
  auto pair = control::socket_pair().value();
  REQUIRE(::send(pair.first.get(), "[1,2]", 5, 0) == 5);
  auto array = control::receive(pair.second.get());
  REQUIRE_FALSE(array);
  CHECK(array.error().kind == ErrorKind::InvalidArgument);
  REQUIRE(::send(pair.first.get(), "{\"op\":", 6, 0) == 6);
  CHECK_FALSE(control::receive(pair.second.get()));
}

TEST_CASE("an oversized packet is refused on both ends", "[control]") {
  auto pair = control::socket_pair().value();
  std::string big(control::kMaxMessageBytes + 10, 'x');
  auto sent = control::send(pair.first.get(), control::Json{{"op", big}});
  REQUIRE_FALSE(sent);
  CHECK(sent.error().kind == ErrorKind::InvalidArgument);
  // A peer that does not use send() is cut off at the limit, not read past it.
  int size = static_cast<int>(big.size() + 100);
  ::setsockopt(pair.first.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  std::string raw = "{\"op\":\"" + big + "\"}";
  REQUIRE(::send(pair.first.get(), raw.data(), raw.size(), 0) == static_cast<ssize_t>(raw.size()));
  auto received = control::receive(pair.second.get());
  REQUIRE_FALSE(received);
  CHECK(received.error().kind == ErrorKind::InvalidArgument);
}

TEST_CASE("a non-blocking read with nothing queued says it would block", "[control]") {
  auto pair = control::socket_pair().value();
  ::fcntl(pair.second.get(), F_SETFL, O_NONBLOCK);
  bool would_block = false;
  auto nothing = control::receive(pair.second.get(), &would_block);
  REQUIRE_FALSE(nothing);
  CHECK(would_block);
}

TEST_CASE("errors cross the socket with their kind", "[control]") {
  Error e{ErrorKind::FailedPrecondition, "output folder /x is not empty"};
  auto back = control::error_from_json(control::error_json(e));
  CHECK(back.kind == ErrorKind::FailedPrecondition);
  CHECK(back.message == e.message);
  CHECK(control::parse_error_kind("nonsense") == ErrorKind::Internal);
}

// tests/fuzz/regressions/control_wire: nlohmann's value() threw type_error when a key held
// another type, so {"op": 1} from any local user ended carekeepd's loop.
TEST_CASE("fields of the wrong type read as absent, never as an exception", "[control]") {
  auto body = control::Json::parse(R"({"op":1,"ok":"yes","kind":false,"message":false,"exit":"5","status":2.5,"n":7})");
  CHECK(control::text_field(body, "op") == "");
  CHECK(control::text_field(body, "op", "none") == "none");
  CHECK(control::bool_field(body, "ok", false) == false);
  CHECK(control::int_field(body, "exit", 3) == 3);
  CHECK(control::int_field(body, "status", 3) == 3);
  CHECK(control::int_field(body, "n", 0) == 7);
  CHECK(control::int_field(control::Json::parse(R"({"n":18446744073709551615})"), "n", -1) == -1);
  CHECK(control::text_field(control::Json::array({1, 2}), "op", "x") == "x");
  auto error = control::error_from_json(body);
  CHECK(error.kind == ErrorKind::Internal);
  CHECK(error.message == "the control socket gave no reason");
  // fuzz_control_wire's crash: an unknown kind and an empty message still give a reason.
  auto empty = control::error_from_json(control::Json::parse(R"({"ok":false,"kind":"~~~~~~~~NotFound","message":""})"));
  CHECK(empty.kind == ErrorKind::Internal);
  CHECK(empty.message == "the control socket gave no reason");
}
