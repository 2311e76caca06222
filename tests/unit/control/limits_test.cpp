// control/limits (issue 14): the connection caps and the refusal budget, with times handed in.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <optional>
#include <thread>
#include <vector>

#include "control/limits.hpp"
#include "control/session.hpp"

using namespace carekeep;
using namespace std::chrono_literals;
using Verdict = control::ConnectionTable::Verdict;

TEST_CASE("connections are capped per uid and in total, and a closed one frees its slot", "[control]") {
  control::ConnectionTable table(5, 2);
  std::vector<control::ConnectionTable::Ticket> open;
  for (int i = 0; i < 2; ++i) {
    auto a = table.admit(1001, false);
    REQUIRE(a.verdict == Verdict::Admitted);
    open.push_back(std::move(a.ticket));
  }
  CHECK(table.admit(1001, false).verdict == Verdict::UserFull);
  CHECK(table.of(1001) == 2);
  // Another user is not affected by the first one's cap.
  auto other = table.admit(1002, false);
  REQUIRE(other.verdict == Verdict::Admitted);
  // Root is exempt from the per-user cap, not from the total.
  auto r1 = table.admit(0, true);
  auto r2 = table.admit(0, true);
  CHECK(r1.verdict == Verdict::Admitted);
  CHECK(r2.verdict == Verdict::Admitted);
  CHECK(table.total() == 5);
  CHECK(table.admit(0, true).verdict == Verdict::TotalFull);
  CHECK(table.admit(1003, false).verdict == Verdict::TotalFull);
  // Refused admissions count nothing.
  CHECK(table.total() == 5);
  open.pop_back();  // one of 1001's connections closes
  CHECK(table.of(1001) == 1);
  auto again = table.admit(1001, false);
  CHECK(again.verdict == Verdict::Admitted);
  // A moved ticket counts once.
  control::ConnectionTable::Ticket moved = std::move(again.ticket);
  CHECK(table.of(1001) == 2);
  moved = {};
  CHECK(table.of(1001) == 1);
  CHECK(table.total() == 4);
}

TEST_CASE("a refused connection is told why, with the setting that decides it", "[control]") {
  control::ConnectionTable table(3, 1);
  control::Peer alice{42, 1001, 1001, {}, "alice"};
  auto held = table.admit(1001, false);
  auto user = control::connection_refusal(alice, Verdict::UserFull, table);
  CHECK(user.find("user alice (uid 1001) has 1 connections to carekeepd open already") != std::string::npos);
  CHECK(user.find("max_connections_per_user") != std::string::npos);
  auto total = control::connection_refusal(alice, Verdict::TotalFull, table);
  CHECK(total.find("carekeepd has 1 connections open already, its limit ([access] max_connections)") != std::string::npos);
}

TEST_CASE("refusals beyond the budget are counted, then reported as one summary per user", "[control]") {
  control::RefusalBudget budget(3, 5, 60s);
  auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  int written = 0;
  for (int i = 0; i < 100; ++i) written += budget.admit(1001, "alice", t0 + std::chrono::milliseconds(i)) ? 1 : 0;
  CHECK(written == 3);
  CHECK(budget.take_ended(t0 + 30s).empty());  // the window is still open
  // The total binds users together: bob gets the two left of five.
  int bob = 0;
  for (int i = 0; i < 10; ++i) bob += budget.admit(1002, "bob", t0 + 1s) ? 1 : 0;
  CHECK(bob == 2);
  auto ended = budget.take_ended(t0 + 61s);
  REQUIRE(ended.size() == 2);
  CHECK(ended[0].uid == 1001);
  CHECK(ended[0].user == "alice");
  CHECK(ended[0].count == 97);
  CHECK(ended[1].count == 8);
  CHECK(budget.take_ended(t0 + 62s).empty());  // reported once
  // A new window writes again.
  CHECK(budget.admit(1001, "alice", t0 + 62s));
  // A window without suppressed refusals needs no summary.
  CHECK(budget.take_ended(t0 + 200s).empty());
  CHECK(budget.admit(1001, "alice", t0 + 200s));
}

TEST_CASE("at shutdown every count is reported, ended or not", "[control]") {
  control::RefusalBudget budget(1, 100, 60s);
  auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  CHECK(budget.admit(7, "mallory", t0));
  CHECK_FALSE(budget.admit(7, "mallory", t0 + 1s));
  CHECK_FALSE(budget.admit(7, "mallory", t0 + 2s));
  CHECK(budget.take_ended(t0 + 3s).empty());
  auto all = budget.take_ended(t0 + 3s, true);
  REQUIRE(all.size() == 1);
  CHECK(all[0].count == 2);
  CHECK(budget.take_ended(t0 + 4s, true).empty());
}

TEST_CASE("the output folder is resolved as the command resolves --out", "[control]") {
  CHECK(control::output_root("/home/alice", "case-17") == "/home/alice/case-17");
  CHECK(control::output_root("/home/alice", "case-17/") == "/home/alice/case-17");
  CHECK(control::output_root("/home/alice", "../bob/./x") == "/home/bob/x");
  CHECK(control::output_root("/home/alice", "/media/usb/") == "/media/usb");
  CHECK(control::output_root("/home/alice", "/") == "/");
}

TEST_CASE("a connection the daemon refused and closed at once still tells the client why", "[control]") {
  // carekeepd over a cap: accept, one refusal packet, close, before the request went out.
  auto pair = control::socket_pair().value();
  REQUIRE(control::send(pair.second.get(), {{"op", "refused"}, {"message", "over the cap"}, {"exit", 3}}));
  pair.second.reset();
  auto status = control::run(pair.first.get(), control::RunRequest{{"status"}, "/", {}}, nullptr);
  REQUIRE(status);
  CHECK(*status == 3);
  auto pair2 = control::socket_pair().value();
  REQUIRE(control::send(pair2.second.get(), {{"op", "refused"}, {"message", "no request within 2 s"}, {"exit", 3}}));
  pair2.second.reset();
  auto pong = control::ping(pair2.first.get());
  REQUIRE_FALSE(pong);
  CHECK(pong.error().message == "no request within 2 s");
}
