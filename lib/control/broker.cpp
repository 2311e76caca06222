#include "control/broker.hpp"

namespace carekeep::control {

Result<Message> RemoteDestination::call(const Json& request) {
  if (auto st = send(socket_, request); !st) return tl::unexpected(std::move(st.error()).with_context("asking carekeep for the output"));
  auto reply = receive(socket_);
  if (!reply) return tl::unexpected(reply.error());
  if (!*reply) return fail(ErrorKind::Cancelled, "the carekeep command that asked for this has gone");
  if (!bool_field((*reply)->body, "ok", false)) return tl::unexpected(error_from_json((*reply)->body));
  return std::move(**reply);
}

Status RemoteDestination::open(const std::filesystem::path& out, fs::Layout layout) {
  auto reply = call({{"op", "open"}, {"out", out.string()}, {"layout", std::string(fs::to_string(layout))}});
  if (!reply) return tl::unexpected(reply.error());
  open_ = true;
  if (auto l = reply->body.find("leftovers"); l != reply->body.end() && l->is_array()) {
    for (const auto& one : *l) {
      leftovers_.push_back(fs::Leftover{text_field(one, "path"), int_field(one, "pid", 0), text_field(one, "why"),
                                        bool_field(one, "removed", false), text_field(one, "error")});
    }
  }
  return ok();
}

Result<fs::UniqueFd> RemoteDestination::create(std::string_view name) {
  if (auto st = fs::check_file_name(name); !st) return tl::unexpected(st.error());
  auto reply = call({{"op", "create"}, {"name", std::string(name)}});
  if (!reply) return tl::unexpected(reply.error());
  if (reply->fds.size() != 1) return fail(ErrorKind::Internal, "carekeep sent no descriptor for " + std::string(name));
  return std::move(reply->fds.front());
}

Status RemoteDestination::commit() {
  auto reply = call({{"op", "commit"}});
  if (!reply) return tl::unexpected(reply.error());
  open_ = false;
  return ok();
}

void RemoteDestination::abort() noexcept {
  if (!open_) return;
  open_ = false;
  (void)call({{"op", "abort"}});
}

Result<bool> BrokerServer::serve_one() {
  auto request = receive(socket_);
  if (!request) return tl::unexpected(request.error());
  if (!*request) return false;
  const Json& body = (*request)->body;
  std::string op = text_field(body, "op");
  Status done = ok();
  std::vector<fs::UniqueFd> fds;
  if (op == "open") {
    auto layout = fs::parse_layout(text_field(body, "layout"));
    std::filesystem::path out = text_field(body, "out");
    done = layout ? local_.open(out, *layout) : Status(tl::unexpected(layout.error()));
  } else if (op == "create") {
    auto fd = local_.create(text_field(body, "name"));
    if (fd) fds.push_back(std::move(*fd));
    else done = tl::unexpected(fd.error());
  } else if (op == "commit") {
    done = local_.commit();
  } else if (op == "abort") {
    local_.abort();
  } else {
    done = fail(ErrorKind::InvalidArgument, "unknown request \"" + op + "\"");
  }
  Json reply = done ? Json{{"ok", true}} : error_json(done.error());
  if (op == "open" && done) {
    Json leftovers = Json::array();
    for (const auto& l : local_.leftovers())
      leftovers.push_back({{"path", l.path.string()}, {"pid", l.pid}, {"why", l.why}, {"removed", l.removed}, {"error", l.error}});
    reply["leftovers"] = std::move(leftovers);
  }
  std::vector<int> raw;
  for (const auto& fd : fds) raw.push_back(fd.get());
  if (auto st = send(socket_, reply, raw); !st) return tl::unexpected(st.error());
  return true;
}

}  // namespace carekeep::control
