// carekeep web user add|passwd|remove|list [NAME] [--role operator|inspector|viewer]: the
// accounts of the web console (issue 16; docs/console.md). Passwords are read from the
// terminal (twice, without echo) or from the first line of standard input, never from the
// command line (argv is visible to every user of the box in /proc), and stored only as scrypt
// hashes (lib/web/password). Runs here, never through carekeepd (a password must not cross
// the control socket): it needs write access to the index, so root or the daemon's user. Each
// change is written to the access log in the same transaction, without the password.
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "evidence.hpp"
#include "inspect.hpp"
#include "web/guard.hpp"
#include "web/password.hpp"

namespace carekeep::cli {

namespace {

constexpr std::size_t kMinPassword = 8;

struct WebOptions {
  CLI::App* user = nullptr;
  CLI::App* add = nullptr;
  CLI::App* passwd = nullptr;
  CLI::App* remove = nullptr;
  CLI::App* list = nullptr;
  std::string name;
  std::string role = "viewer";
  bool json = false;
};

std::string read_line_noecho(const char* prompt) {
  std::fprintf(stderr, "%s", prompt);
  std::fflush(stderr);
  termios old{};
  bool tty = ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::fprintf(stderr, "\n");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string read_new_password() {
  std::string password;
  if (::isatty(STDIN_FILENO)) {
    password = read_line_noecho("new password: ");
    if (read_line_noecho("again: ") != password) throw UsageError("the two passwords differ; nothing changed");
  } else {
    std::getline(std::cin, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
  }
  if (password.size() < kMinPassword)
    throw UsageError("the password must have at least " + std::to_string(kMinPassword) +
                     " characters (read from the terminal, or the first line of standard input)");
  return password;
}

// Root and the index's owner (the daemon's user) may manage every account.
bool may_manage(const Context& context) {
  if (::geteuid() == 0) return true;
  struct stat st {};
  return ::stat(context.config.site.database.c_str(), &st) == 0 && st.st_uid == ::geteuid();
}

index::Index open_writer(const Context& context) {
  { auto checked = open_index(context); }  // existence and schema, with the usual messages
  auto index = index::Index::open_writer(context.config.site.database);
  if (!index)
    throw CommandError("cannot write to the index " + context.config.site.database.string() + ": " +
                       index.error().message + "; web accounts are managed as root or carekeepd's user");
  return std::move(*index);
}

// The change and its access-log row commit together (or neither does).
void commit_with_log(index::Index& index, const Context& context, const std::string& action, const std::string& name,
                     const std::string& role, const std::function<Status()>& change) {
  auto tx = index.transaction();
  if (!tx) throw CommandError(tx.error().message);
  if (auto st = change(); !st) throw CommandError(st.error().message);
  nlohmann::json args{{"account", name}};
  if (!role.empty()) args["role"] = role;
  if (auto row = exports::record_access(index, acting_user(context), action, args.dump(), "ok"); !row)
    throw CommandError(row.error().message);
  if (auto st = tx->commit(); !st) throw CommandError(st.error().message);
}

int run_web(const WebOptions& o, Context& context) {
  if (o.list->parsed()) {
    auto index = open_index(context);
    auto accounts = index.web_accounts();
    if (!accounts) throw CommandError(accounts.error().message);
    if (o.json) {
      Json out = Json::array();
      for (const auto& a : *accounts)
        out.push_back({{"name", a.name},
                       {"role", a.role},
                       {"created", format_local_iso(a.created, context.zone)},
                       {"changed", format_local_iso(a.changed, context.zone)},
                       {"created_by", a.created_by}});
      std::printf("%s\n", out.dump(2).c_str());
    } else if (accounts->empty()) {
      std::printf("no web accounts; add one: carekeep web user add NAME --role operator\n");
    } else {
      for (const auto& a : *accounts)
        std::printf("%s  %s  (added %s by %s)\n", a.name.c_str(), a.role.c_str(),
                    format_local_iso(a.created, context.zone).c_str(), a.created_by.c_str());
    }
    return kExitOk;
  }
  if (o.name.empty() || o.name.size() > 64) throw UsageError("a web account name has 1 to 64 characters");
  for (unsigned char c : o.name)
    if (c < 0x20 || c == 0x7f || c == ' ' || c == '/') throw UsageError("a web account name has no spaces, slashes or control characters");
  auto role = web::parse_role(o.role);
  if (!role) throw UsageError("--role must be operator, inspector or viewer");
  if (!may_manage(context)) {
    std::fprintf(stderr, "carekeep: web accounts are managed as root or carekeepd's user (sudo carekeep web user ...)\n");
    return kExitNotPermitted;
  }
  auto index = open_writer(context);
  auto now = SystemClock{}.now();
  if (o.add->parsed()) {
    auto existing = index.web_account(o.name);
    if (!existing) throw CommandError(existing.error().message);
    if (*existing) throw CommandError("web account " + o.name + " exists already; carekeep web user passwd " + o.name);
    auto hash = web::hash_password(read_new_password());
    if (!hash) throw CommandError(hash.error().message);
    index::WebAccountRow row{o.name, std::string(web::to_string(*role)), *hash, now, now, acting_user(context).user};
    commit_with_log(index, context, "web_user_add", o.name, row.role, [&] { return index.add_web_account(row); });
    std::printf("web account %s added (%s)\n", o.name.c_str(), row.role.c_str());
  } else if (o.passwd->parsed()) {
    auto existing = index.web_account(o.name);
    if (!existing) throw CommandError(existing.error().message);
    if (!*existing) throw CommandError("no web account " + o.name + "; carekeep web user list");
    auto hash = web::hash_password(read_new_password());
    if (!hash) throw CommandError(hash.error().message);
    std::string new_role = o.passwd->count("--role") > 0 ? std::string(web::to_string(*role)) : std::string();
    commit_with_log(index, context, "web_user_passwd", o.name, new_role, [&]() -> Status {
      if (auto st = index.set_web_account_password(o.name, *hash, now); !st) return st;
      if (!new_role.empty()) return index.set_web_account_role(o.name, new_role, now);
      return {};
    });
    std::printf("web account %s: password changed%s (sessions end when carekeepd restarts)\n", o.name.c_str(),
                new_role.empty() ? "" : (", role " + new_role).c_str());
  } else if (o.remove->parsed()) {
    commit_with_log(index, context, "web_user_remove", o.name, "", [&] { return index.remove_web_account(o.name); });
    std::printf("web account %s removed\n", o.name.c_str());
  }
  return kExitOk;
}

}  // namespace

Command add_web(CLI::App& parent) {
  auto o = std::make_shared<WebOptions>();
  CLI::App* app = parent.add_subcommand("web", "the web console's accounts");
  app->require_subcommand(1);
  o->user = app->add_subcommand("user", "add, change, remove or list web console accounts");
  o->user->require_subcommand(1);
  o->add = o->user->add_subcommand("add", "add an account; its password is read from the terminal or standard input");
  o->passwd = o->user->add_subcommand("passwd", "set an account's password (and with --role its role)");
  o->remove = o->user->add_subcommand("remove", "remove an account");
  o->list = o->user->add_subcommand("list", "list the accounts (never their passwords)");
  for (auto* sub : {o->add, o->passwd, o->remove}) sub->add_option("name", o->name, "account name")->required();
  for (auto* sub : {o->add, o->passwd})
    sub->add_option("--role", o->role, "operator (acknowledges alerts), inspector or viewer (default)")
        ->check(CLI::IsMember({"operator", "inspector", "viewer"}));
  o->list->add_flag("--json", o->json, "JSON array of {name, role, created, changed, created_by}");
  return Command{app, [o](Context& context) { return run_web(*o, context); }};
}

}  // namespace carekeep::cli
