// carekeep-fakecam: simulated RTSP cameras. Thin main over fakecam::Server: parses the
// command line, starts the server, prints one ready line per camera, then takes fault
// commands ("<fault> <camera-id>", one per line) from stdin and from an optional Unix
// control socket until SIGINT/SIGTERM. The main thread runs its own GLib loop for stdin, the
// socket and signals; the server runs the RTSP side on its own thread.
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "fakecam/server.hpp"

namespace {

using namespace carekeep;

struct App {
  fakecam::Server* server = nullptr;
  GMainLoop* loop = nullptr;
  std::string stdin_pending;
};

struct Connection {
  App* app = nullptr;
  int fd = -1;
  std::string pending;
};

// Applies one command line; the reply is "ok <fault> <camera>" or "error <message>".
std::string handle(App& app, std::string_view line) {
  auto command = fakecam::parse_command(line);
  if (!command) return "error " + command.error().message;
  if (auto st = app.server->apply(command->camera, command->fault); !st) return "error " + st.error().message;
  return "ok " + std::string(fakecam::to_string(command->fault)) + " " + command->camera;
}

// Splits complete lines off `pending` and handles each; blank lines and '#' comments are
// ignored so a script can feed a commented file.
template <class Reply>
void handle_lines(App& app, std::string& pending, Reply&& reply) {
  for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
    std::string line = pending.substr(0, nl);
    pending.erase(0, nl + 1);
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    reply(handle(app, line));
  }
}

gboolean on_stdin(gint fd, GIOCondition, gpointer data) noexcept {
  auto* app = static_cast<App*>(data);
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return G_SOURCE_CONTINUE;
  if (n <= 0) return G_SOURCE_REMOVE;  // EOF: keep serving (e.g. started with </dev/null)
  app->stdin_pending.append(buf, static_cast<std::size_t>(n));
  handle_lines(*app, app->stdin_pending, [](const std::string& reply) {
    std::printf("fakecam %s\n", reply.c_str());
    std::fflush(stdout);
  });
  return G_SOURCE_CONTINUE;
}

gboolean on_connection(gint fd, GIOCondition, gpointer data) noexcept {
  auto* conn = static_cast<Connection*>(data);
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return G_SOURCE_CONTINUE;
  if (n <= 0) return G_SOURCE_REMOVE;  // the destroy notify closes the socket
  conn->pending.append(buf, static_cast<std::size_t>(n));
  handle_lines(*conn->app, conn->pending, [&](const std::string& reply) {
    std::string line = reply + "\n";
    // Replies are short; a client that does not read them loses them (SIGPIPE is ignored).
    (void)::send(fd, line.data(), line.size(), MSG_NOSIGNAL);
  });
  return G_SOURCE_CONTINUE;
}

void close_connection(gpointer data) noexcept {
  auto* conn = static_cast<Connection*>(data);
  ::close(conn->fd);
  delete conn;
}

gboolean on_accept(gint fd, GIOCondition, gpointer data) noexcept {
  int client = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (client < 0) return G_SOURCE_CONTINUE;
  auto* conn = new Connection{static_cast<App*>(data), client, {}};
  g_unix_fd_add_full(G_PRIORITY_DEFAULT, client, static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR),
                     &on_connection, conn, &close_connection);
  return G_SOURCE_CONTINUE;
}

gboolean on_signal(gpointer data) noexcept {
  g_main_loop_quit(static_cast<App*>(data)->loop);
  return G_SOURCE_CONTINUE;
}

// Listens on a Unix stream socket at `path`, replacing a stale socket from an earlier run.
Result<int> listen_control(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return fail(ErrorKind::InvalidArgument, "control socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return fail(ErrorKind::InvalidArgument, "control path " + path + " exists and is not a socket");
    }
    ::unlink(path.c_str());
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(ErrorKind::Internal, std::string("socket: ") + std::strerror(errno));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
    int e = errno;
    ::close(fd);
    return fail(ErrorKind::Unavailable, "control socket " + path + ": " + std::strerror(e));
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"carekeep-fakecam: simulated RTSP cameras for tests, demos and benchmarks.\n"
               "Faults: write '<fault> <camera-id>' lines to stdin or to --control; faults are\n"
               "live black frozen static covered stall down up (tools/fakecam/README.md)."};
  std::vector<std::string> camera_texts;
  std::vector<std::string> fault_texts;
  fakecam::ServerOptions options;
  options.port = 8554;
  std::string source;
  std::string control_path;
  std::string size = "1920x1080";
  int kbps = 4000;
  int fps = 25;
  double gop = 2.0;
  std::string log_level = "info";
  cli.add_option("--camera", camera_texts, "ID[:h264|h265][:WxH][:kbps][:fps=N][:gop=SECONDS], repeatable")
      ->required();
  cli.add_option("--port", options.port, "RTSP port; 0 picks a free one (see the ready lines)")->capture_default_str();
  cli.add_option("--address", options.address, "address to listen on")->capture_default_str();
  cli.add_option("--source", source, "loop this H.264/H.265 MP4/MKV clip on every camera, no encoding");
  cli.add_option("--fault", fault_texts, "ID=FAULT applied at start, repeatable (e.g. nap-1=black)");
  cli.add_option("--size", size, "default picture size")->capture_default_str();
  cli.add_option("--kbps", kbps, "default bitrate, kbit/s")->capture_default_str();
  cli.add_option("--fps", fps, "default frame rate")->capture_default_str();
  cli.add_option("--gop", gop, "default key frame interval, seconds")->capture_default_str();
  bool encoder_per_camera = false;
  cli.add_flag("--encoder-per-camera", encoder_per_camera,
               "one encoder per camera even when cameras look alike (costs ~4 ms of CPU per 1080p frame each)");
  std::string tls_cert;
  std::string tls_key;
  cli.add_option("--tls-cert", tls_cert, "serve rtsps:// with this PEM certificate (needs --tls-key)");
  cli.add_option("--tls-key", tls_key, "the certificate's PEM private key");
  cli.add_option("--control", control_path, "also accept fault commands on this Unix socket");
  cli.add_option("--log-level", log_level, "debug, info, warn or error")->capture_default_str();
  CLI11_PARSE(cli, argc, argv);

  log::Level level{};
  if (!log::parse_level(log_level, level)) {
    std::fprintf(stderr, "carekeep-fakecam: unknown log level '%s'\n", log_level.c_str());
    return 2;
  }
  log::set_level(level);

  // The global defaults go through the same parser as a camera, so they are validated alike.
  auto defaults = fakecam::parse_camera("defaults:" + size + ":" + std::to_string(kbps) + ":fps=" +
                                            std::to_string(fps) + ":gop=" + std::to_string(gop),
                                        fakecam::CameraSpec{});
  if (!defaults) {
    std::fprintf(stderr, "carekeep-fakecam: %s\n", defaults.error().message.c_str());
    return 2;
  }
  std::vector<fakecam::CameraSpec> cameras;
  for (const auto& text : camera_texts) {
    auto spec = fakecam::parse_camera(text, *defaults);
    if (!spec) {
      std::fprintf(stderr, "carekeep-fakecam: %s\n", spec.error().message.c_str());
      return 2;
    }
    cameras.push_back(std::move(*spec));
  }
  for (const auto& text : fault_texts) {
    const auto eq = text.find('=');
    const std::string id = text.substr(0, eq);
    auto it = std::find_if(cameras.begin(), cameras.end(), [&](const auto& c) { return c.id == id; });
    if (eq == std::string::npos || it == cameras.end()) {
      std::fprintf(stderr, "carekeep-fakecam: --fault %s: expected ID=FAULT for a camera given with --camera\n",
                   text.c_str());
      return 2;
    }
    auto fault = fakecam::parse_fault(std::string_view(text).substr(eq + 1));
    if (!fault) {
      std::fprintf(stderr, "carekeep-fakecam: --fault %s: %s\n", text.c_str(), fault.error().message.c_str());
      return 2;
    }
    it->faults.push_back(*fault);
  }
  options.source = source;
  options.tls_cert = tls_cert;
  options.tls_key = tls_key;
  options.share_encoders = !encoder_per_camera;

  ::signal(SIGPIPE, SIG_IGN);
  auto server = fakecam::Server::start(options, std::move(cameras));
  if (!server) {
    std::fprintf(stderr, "carekeep-fakecam: %s\n", server.error().message.c_str());
    return 1;
  }

  App app;
  app.server = server->get();
  app.loop = g_main_loop_new(nullptr, FALSE);
  int control_fd = -1;
  if (!control_path.empty()) {
    auto fd = listen_control(control_path);
    if (!fd) {
      std::fprintf(stderr, "carekeep-fakecam: %s\n", fd.error().message.c_str());
      g_main_loop_unref(app.loop);
      return 1;
    }
    control_fd = *fd;
    g_unix_fd_add(control_fd, G_IO_IN, &on_accept, &app);
  }
  g_unix_fd_add(STDIN_FILENO, static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR), &on_stdin, &app);
  g_unix_signal_add(SIGINT, &on_signal, &app);
  g_unix_signal_add(SIGTERM, &on_signal, &app);

  // Scripts and tests in other processes wait for these lines.
  for (const auto& id : (*server)->camera_ids()) std::printf("fakecam ready %s\n", (*server)->url(id).c_str());
  std::fflush(stdout);

  g_main_loop_run(app.loop);

  log::info("fakecam_stopping");
  server->reset();
  if (control_fd >= 0) {
    ::close(control_fd);
    ::unlink(control_path.c_str());
  }
  g_main_loop_unref(app.loop);
  return 0;
}
